"""Operating the background machinery: dead letters and the outbox backlog."""
