"""Route keys and route selection (`match_route`), as tables of cases."""

import pytest

from stratus.apis.http.routes import RouteKey, Segment, match_route
from stratus.errors import Validation

TOY_PARAMS = {"kind": "cat", "toy": "ball"}

# AWS's own example ("Routing API requests"), plus a few neighbours.
ROUTES = [
    RouteKey.parse(key)
    for key in (
        "$default",
        "ANY /{proxy+}",
        "GET /pets/{proxy+}",
        "GET /pets/dog/{id}",
        "GET /pets/dog/1",
        "ANY /pets/dog/1",
        "GET /pets",
        "POST /pets",
        "GET /pets/{kind}/toys/{toy}",
        "GET /pets/dog/toys/{toy}",
        "GET /",
        "GET /files/{path+}",
        "GET /files/public/{path+}",
    )
]


@pytest.mark.parametrize(
    ("method", "path", "route", "params"),
    [
        # AWS's table
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/test/5", "ANY /{proxy+}", {"proxy": "test/5"}),
        # an explicit method beats ANY on the same path; ANY takes the other methods
        ("DELETE", "/pets/dog/1", "ANY /pets/dog/1", {}),
        # literals beat variables, segment by segment from the left
        ("GET", "/pets/dog/toys/ball", "GET /pets/dog/toys/{toy}", {"toy": "ball"}),
        ("GET", "/pets/cat/toys/ball", "GET /pets/{kind}/toys/{toy}", TOY_PARAMS),
        ("GET", "/pets", "GET /pets", {}),
        ("POST", "/pets", "POST /pets", {}),
        ("PUT", "/pets", "ANY /{proxy+}", {"proxy": "pets"}),
        ("GET", "/", "GET /", {}),
        # greedy: the longer prefix wins; values are percent-decoded
        ("GET", "/files/public/a/b.txt", "GET /files/public/{path+}", {"path": "a/b.txt"}),
        ("GET", "/files/private/a%20b", "GET /files/{path+}", {"path": "private/a b"}),
        ("GET", "/pets/dog/caf%C3%A9", "GET /pets/dog/{id}", {"id": "café"}),
        # a greedy variable needs at least one segment; a variable a non-empty one
        ("GET", "/files", "ANY /{proxy+}", {"proxy": "files"}),
        ("POST", "/", "$default", {}),
        ("GET", "/pets/dog/", "GET /pets/{proxy+}", {"proxy": "dog/"}),
        # matching is case-sensitive
        ("GET", "/Pets", "ANY /{proxy+}", {"proxy": "Pets"}),
    ],
)
def test_match_route(method, path, route, params):
    """The most specific route wins, as on API Gateway."""
    found = match_route(ROUTES, method, path)

    assert found is not None
    assert (found.route.key, dict(found.path_parameters)) == (route, params)


@pytest.mark.parametrize(
    ("keys", "method", "path"),
    [
        ((), "GET", "/"),
        (("GET /pets",), "POST", "/pets"),
        (("GET /pets/{id}",), "GET", "/pets"),
        (("GET /pets/{id}",), "GET", "/pets/1/2"),
        (("GET /pets/{id}",), "GET", "/pets/"),
        (("GET /pets/{proxy+}",), "GET", "/pets"),
        (("GET /pets/{proxy+}",), "GET", "/pets/"),
    ],
)
def test_no_match(keys, method, path):
    """Without a matching route or `$default` there is no match (HTTP APIs answer 404)."""
    found = match_route([RouteKey.parse(k) for k in keys], method, path)

    assert found is None


@pytest.mark.parametrize(
    ("key", "method", "path", "segments"),
    [
        ("$default", "", "$default", ()),
        ("GET /", "GET", "/", ()),
        ("ANY /{proxy+}", "ANY", "/{proxy+}", (Segment("proxy", True, True),)),
        (
            "POST /pets/{id}/toys",
            "POST",
            "/pets/{id}/toys",
            (Segment("pets"), Segment("id", True), Segment("toys")),
        ),
    ],
)
def test_parse(key, method, path, segments):
    """A route key splits into its method and path segments."""
    route = RouteKey.parse(key)

    assert (route.method, route.path, route.segments) == (method, path, segments)


@pytest.mark.parametrize(
    "key",
    [
        "pets",
        "GET pets",
        "FETCH /pets",
        "get /pets",
        "GET /pets//toys",
        "GET /{proxy+}/toys",
        "GET /pets/{id",
        "GET /pets/x{id}",
        "GET /{id}/{id}",
        "$DEFAULT",
    ],
)
def test_parse_rejects(key):
    """A malformed route key is refused with a message that shows the right form."""
    with pytest.raises(Validation, match="Invalid route key"):
        RouteKey.parse(key)
