"""Stack outputs that work on this machine.

Templates build their endpoints' URLs the AWS way (`https://${Api}.execute-api.${AWS::Region}
.amazonaws.com/Prod/`, a WebSocket API's `wss://...`, a function URL's
`https://<id>.lambda-url.<region>.on.aws/`), and teams' integration tests read them from
DescribeStacks. Stratus serves those APIs and URLs under its own endpoint, so outputs are
described in the form any client can reach here (the path form, `ws://` for WebSocket APIs:
`*.localhost` host names do not resolve everywhere). `STRATUS_AWS_OUTPUT_URLS=true` keeps
the literal AWS form.
"""

from __future__ import annotations

import re

_EXECUTE_API = re.compile(
    r"https://([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?=/|$)"
)
# A WebSocket API's URL (`wss://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}`).
_WEBSOCKET = re.compile(
    r"wss://([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?=/|$)"
)
_LOCAL_WEBSOCKET = re.compile(r"ws://([a-z0-9]{10})\.execute-api\.localhost(?::\d+)?(?=/|$)")
_FUNCTION_URL = re.compile(r"https://([a-z0-9]{32})\.lambda-url\.[a-z0-9-]+\.on\.aws(?=/|$)")
# Stratus's own host forms (GetAtt ApiEndpoint, FunctionUrl): the same path form serves them.
_LOCAL_EXECUTE_API = re.compile(r"http://([a-z0-9]{10})\.execute-api\.localhost(?::\d+)?(?=/|$)")
_LOCAL_FUNCTION_URL = re.compile(r"http://([a-z0-9]{32})\.lambda-url\.localhost(?::\d+)?(?=/|$)")


def local_url(value: str, endpoint: str) -> str:
    """`value` with every AWS endpoint URL Stratus serves rewritten to `endpoint`."""
    for pattern in (_EXECUTE_API, _LOCAL_EXECUTE_API):
        value = pattern.sub(lambda m: f"{endpoint}/_aws/execute-api/{m.group(1)}", value)
    ws_endpoint = "ws" + endpoint.removeprefix("http")  # (https -> wss)
    for pattern in (_WEBSOCKET, _LOCAL_WEBSOCKET):
        value = pattern.sub(lambda m: f"{ws_endpoint}/_aws/execute-api/{m.group(1)}", value)
    for pattern in (_FUNCTION_URL, _LOCAL_FUNCTION_URL):
        value = pattern.sub(lambda m: f"{endpoint}/_aws/lambda-url/{m.group(1)}", value)
    return value
