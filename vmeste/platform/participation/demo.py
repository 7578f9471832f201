"""The demo's residents: verified citizens of the demo region whose profiles spread
over every age band, both genders and several municipalities (one of them small, so
that breakdowns show a suppressed group), for the votes and polls of ``vmeste demo``."""

from __future__ import annotations

import random
from datetime import date

from vmeste.platform.identity.dev_tokens import DevProfile, dev_claims
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.identity.services import load_principal, upsert_user
from vmeste.platform.identity.tokens import claims_to_identity

#: Municipalities of the demo region and their share of the residents; Арбажский
#: округ gets a handful, fewer than a breakdown publishes.
MUNICIPALITIES = (("33701000", 0.62), ("33707000", 0.2), ("33713000", 0.16),
                  ("33603000", 0.02))
#: Ages by weight: a few teenagers (the urban vote is open from 14), most of working age.
AGES = ((14, 17, 0.05), (18, 24, 0.12), (25, 34, 0.22), (35, 44, 0.22), (45, 59, 0.24),
        (60, 85, 0.15))
SEED = 2027


def _profile(rng: random.Random, number: int, today: date) -> DevProfile:
    low, high, _ = rng.choices(AGES, weights=[w for *_, w in AGES])[0]
    age = rng.randint(low, high)
    born = date(today.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
    oktmo = rng.choices([m for m, _ in MUNICIPALITIES], weights=[w for _, w in MUNICIPALITIES])
    return DevProfile(complete=True, birthdate=born, gender=("female", "male")[number % 2],
                      address_oktmo=oktmo[0], verified=number % 29 != 0)


async def demo_residents(count: int, today: date) -> list[Principal]:
    """``demo-resident-NNN``, the same people at every load (upserted)."""
    rng = random.Random(SEED)
    found = []
    for number in range(count):
        subject = f"demo-resident-{number:03d}"
        claims = dev_claims(subject, Role.CITIZEN, profile=_profile(rng, number, today))
        found.append(await load_principal(await upsert_user(claims_to_identity(claims))))
    return found
