"""Workflows: the Amazon States Language and an interpreter whose whole state is data.

`definition` parses and validates a definition, `jsonpath`, `intrinsics`, `payloads`,
`choice` and `query` (JSONata) evaluate its expressions, `retry` decides what a failure
means, and `interpreter` steps an execution from one committed state to the next.
"""
