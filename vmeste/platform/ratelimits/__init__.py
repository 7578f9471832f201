"""Request budgets (``VMESTE_RATE_LIMIT_*``) and who spends them: GraphQL operations in the
schema (``vmeste.schema.ratelimit``), refused tokens in authentication (``app``)."""
