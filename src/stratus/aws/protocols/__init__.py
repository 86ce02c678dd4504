"""The AWS wire protocols, driven by botocore's service models as data.

models        botocore's models, loaded once, off the event loop
validate      input checked against a model's constraints, in AWS's words
errors        error meanings -> an API's code and status (one table per adapter)
(more modules arrive with each protocol; docs/design.md draws the request's path)
"""
