"""Publics: official pages on social networks, and the posts about problems turned into incidents."""
