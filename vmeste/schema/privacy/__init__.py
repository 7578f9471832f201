"""GraphQL of a citizen's data rights: exports and erasure requests."""
