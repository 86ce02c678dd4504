"""The HTTP gateway: API Gateway's HTTP APIs and REST APIs, and function URLs, in front of
functions.

An interfaces-layer translator (see docs/design.md, "Gateway"): three front doors
(`http_api.ExecuteApi` for HTTP and REST APIs, `function_urls.FunctionUrlGateway`) on one
request pipeline (`pipeline`: limits, the integration timer, one Reply). The pure parts:
`events` builds the Lambda event, `responses` turns the function's output into the HTTP
response, `cors`, `throttle` and the authorizers decide.
"""
