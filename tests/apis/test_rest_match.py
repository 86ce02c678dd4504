"""REST API resource matching (stratus.apis.rest.match), as a table of cases."""

from __future__ import annotations

import pytest

from stratus.apis.rest.match import match_kept, match_resource
from stratus.apis.rest.model import Method, Resource


def tree(spec: dict[str, list[str]]) -> list[Resource]:
    """Resources from {path: [methods]}; ids are the paths (parents don't matter here)."""
    return [
        Resource(
            id=path,
            path=path,
            resourceMethods={m: Method(httpMethod=m) for m in methods} or None,
        )
        for path, methods in spec.items()
    ]


API = tree(
    {
        "/": ["GET"],
        "/pets": ["GET", "POST"],
        "/pets/dog": ["GET"],
        "/pets/{id}": ["GET", "DELETE"],
        "/pets/{id}/toys": ["ANY"],
        "/pets/{id}/toys/{toy}": ["GET"],
        "/files/{path+}": ["GET"],
        "/{proxy+}": ["ANY"],
        "/empty": [],
    }
)


@pytest.mark.parametrize(
    ("method", "path", "resource", "chosen", "params"),
    [
        ("GET", "/", "/", "GET", {}),
        ("GET", "", "/", "GET", {}),
        ("GET", "/pets", "/pets", "GET", {}),
        ("POST", "/pets", "/pets", "POST", {}),
        # a literal beats a variable
        ("GET", "/pets/dog", "/pets/dog", "GET", {}),
        ("GET", "/pets/cat", "/pets/{id}", "GET", {"id": "cat"}),
        # matching is on the raw path, and values stay percent-encoded (as on AWS)
        ("GET", "/pets/a%20b", "/pets/{id}", "GET", {"id": "a%20b"}),
        ("GET", "/pets/a%2Fb", "/pets/{id}", "GET", {"id": "a%2Fb"}),
        ("GET", "/x/a%2Bb/c+d", "/{proxy+}", "ANY", {"proxy": "x/a%2Bb/c+d"}),
        # ANY answers the methods the resource does not define
        ("PATCH", "/pets/7/toys", "/pets/{id}/toys", "ANY", {"id": "7"}),
        ("GET", "/pets/7/toys/ball", "/pets/{id}/toys/{toy}", "GET", {"id": "7", "toy": "ball"}),
        # a resource without the method (nor ANY) leaves the request to a less specific one
        ("PUT", "/pets/dog", "/{proxy+}", "ANY", {"proxy": "pets/dog"}),
        ("POST", "/pets/7/toys/ball", "/{proxy+}", "ANY", {"proxy": "pets/7/toys/ball"}),
        ("DELETE", "/pets", "/{proxy+}", "ANY", {"proxy": "pets"}),
        # greedy variables take one or more segments, the longest literal prefix first
        ("GET", "/files/a/b/c.txt", "/files/{path+}", "GET", {"path": "a/b/c.txt"}),
        ("GET", "/files/x", "/files/{path+}", "GET", {"path": "x"}),
        ("POST", "/files/x", "/{proxy+}", "ANY", {"proxy": "files/x"}),
        ("GET", "/a/b/c", "/{proxy+}", "ANY", {"proxy": "a/b/c"}),
        # a resource without methods matches nothing
        ("GET", "/empty", "/{proxy+}", "ANY", {"proxy": "empty"}),
        # case-sensitive
        ("GET", "/PETS", "/{proxy+}", "ANY", {"proxy": "PETS"}),
        # trailing slashes are ignored
        ("GET", "/pets/", "/pets", "GET", {}),
        ("GET", "/pets/7/", "/pets/{id}", "GET", {"id": "7"}),
        ("GET", "/a/b//", "/{proxy+}", "ANY", {"proxy": "a/b"}),
        ("GET", "//", "/", "GET", {}),
        # so are slashes repeated after the stage (a base URL ending in "/" plus "/pets")
        ("GET", "//pets", "/pets", "GET", {}),
        ("GET", "//pets/7", "/pets/{id}", "GET", {"id": "7"}),
        ("GET", "///a/b", "/{proxy+}", "ANY", {"proxy": "a/b"}),
    ],
)
def test_match(method, path, resource, chosen, params):
    """The most specific resource having the method (or ANY) is chosen."""
    found = match_resource(API, method, path)

    assert found is not None
    assert (found.resource.path, found.method.httpMethod, dict(found.path_parameters)) == (
        resource,
        chosen,
        params,
    )


@pytest.mark.parametrize(
    ("spec", "method", "path"),
    [
        ({"/": ["GET"], "/{proxy+}": ["ANY"]}, "POST", "/"),  # greedy needs a segment
        ({"/pets": ["GET"]}, "POST", "/pets"),
        ({"/pets/{id}": ["GET"]}, "GET", "/pets"),
        ({"/pets/{id}": ["GET"]}, "GET", "/pets/1/2"),
        ({"/pets/{id}": ["GET"]}, "GET", "/pets//1"),
        ({"/{proxy+}": ["ANY"]}, "GET", "//"),
        ({}, "GET", "/"),
    ],
)
def test_no_match(spec, method, path):
    """No resource takes the request: API Gateway's 403 Missing Authentication Token."""
    assert match_resource(tree(spec), method, path) is None


def test_exact_method_beats_any_on_the_same_resource():
    """On one resource, the method itself is chosen over ANY."""
    resources = tree({"/pets": ["ANY", "GET"]})

    found = match_resource(resources, "GET", "/pets")

    assert found is not None
    assert found.method.httpMethod == "GET"
    assert match_resource(resources, "PUT", "/pets").method.httpMethod == "ANY"  # type: ignore[union-attr]


def test_variable_beats_greedy_at_the_same_depth():
    """/a/{id} is more specific than /a/{rest+} for one segment; only the greedy one takes two."""
    resources = tree({"/a/{id}": ["GET"], "/a/{rest+}": ["GET"]})

    one = match_resource(resources, "GET", "/a/1")
    two = match_resource(resources, "GET", "/a/1/2")

    assert one is not None
    assert one.resource.path == "/a/{id}"
    assert two is not None
    assert two.resource.path == "/a/{rest+}"


_CASES = [
    (m, p)
    for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
    for p in ("/", "", "/pets", "/pets/dog", "/pets/7/toys", "/pets/7/toys/ball", "/files/a/b",
              "/a%2Fb/", "/PETS", "//", "/empty", "/nothing/here")
]  # fmt: skip


def test_kept_matches_are_the_matcher_s_answers():
    """match_kept answers as match_resource does, the first time and every time after, for
    a deployed tuple and for another tuple of the same resources (a new deployment), and
    its path parameters cannot be changed by one request for the next."""
    first, second = tuple(API), tuple(tree({"/pets/{id}": ["GET"], "/{proxy+}": ["ANY"]}))
    for resources in (first, second, first):
        for method, path in _CASES:
            expected = match_resource(resources, method, path)
            for _ in range(2):
                kept = match_kept(resources, method, path)

                assert (kept is None) == (expected is None)
                if kept is not None and expected is not None:
                    assert (kept.resource, kept.method) == (expected.resource, expected.method)
                    assert dict(kept.path_parameters) == dict(expected.path_parameters)
                    with pytest.raises(TypeError):
                        kept.path_parameters["id"] = "changed"  # type: ignore[index]
