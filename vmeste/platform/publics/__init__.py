"""Publics: official pages on social networks, their compliance, and incidents from posts."""
