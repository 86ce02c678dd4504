"""The HTTP gateway: API Gateway's HTTP APIs and REST APIs in front of functions.

An interfaces-layer translator (see docs/design.md, "Gateway"): `routes` picks the route for
a request, `events` builds the Lambda event, `responses` turns the function's output into the
HTTP response. All three are pure; the HTTP server and the API model come later (issue 5).
"""
