"""Service layer: configuration, ORM, use cases, outbox worker, SLA sweeper and CLI."""
