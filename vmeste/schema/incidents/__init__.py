"""Incidents in the GraphQL schema."""
