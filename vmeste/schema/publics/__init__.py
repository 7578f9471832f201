"""Publics: official pages and their compliance."""
