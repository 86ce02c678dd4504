"""Topics: Amazon SNS over the store (see docs/design.md, "Topics")."""
