"""Publics: official pages on social networks, and posts about problems as incidents."""
