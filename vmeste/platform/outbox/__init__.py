"""The transactional outbox: messages written in the same transaction as the change
that causes them, and relayed to the broker afterwards, so that nothing is lost."""
