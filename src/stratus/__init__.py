"""Stratus: a self-hosted serverless platform (AWS Lambda and the services around it)."""

__version__ = "0.1.0"
