"""Request budgets of the HTTP API and who spends them (``VMESTE_RATE_LIMIT_*``)."""
