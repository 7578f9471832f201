"""Domain events for plugins: every lifecycle step, delivered after it commits."""
