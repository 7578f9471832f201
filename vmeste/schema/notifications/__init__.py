"""GraphQL of notifications: the inbox, preferences, templates, webhooks and the delivery log."""
