"""Tables: DynamoDB's tables, items, expressions, queries and transactions."""
