"""Queues: Amazon SQS's standard and FIFO queues, every message durable in the store."""
