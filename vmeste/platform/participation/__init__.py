"""Taking part in votes and polls: who may (eligibility from the verified profile),
what of the profile a participation keeps (age band, gender, territory), how results
are counted without a hot row (sharded tallies) and published without exposing small
groups (complementary suppression), and how representative the participants are."""
