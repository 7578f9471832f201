"""GraphQL of votes."""
