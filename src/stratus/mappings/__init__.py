"""Event source mappings: Lambda's pollers that read a queue and invoke a function with
batches of its messages (CreateEventSourceMapping and its kin)."""
