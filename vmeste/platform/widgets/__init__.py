"""Site widgets: the embeddable appeal form, its configuration and its placements."""
