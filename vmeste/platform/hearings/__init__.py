"""Hearings: statutory public discussions and hearings on draft acts, and direct lines."""
