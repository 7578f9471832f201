"""The HTTP transport around GraphQL: the wire protocol, load shedding, the local IDE."""
