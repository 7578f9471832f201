"""Widgets' part of the schema."""
