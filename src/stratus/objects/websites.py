"""Static website hosting: a bucket's WebsiteConfiguration, checked as S3 checks it, and what
the website endpoint answers for a path (pure: no I/O; aws/s3_website.py serves it).

As S3's website endpoint does:
- only GET and HEAD; the query string is ignored; the key is the decoded path without its
  leading slash;
- RedirectAllRequestsTo sends every request to another host (301, same path);
- a routing rule whose KeyPrefixEquals matches redirects before anything is read; one whose
  HttpErrorCodeReturnedEquals matches redirects instead of that error;
- a key that is empty or ends in "/" is a folder: its IndexDocument is read; a key not found
  whose folder has one is redirected to the folder (302, trailing slash);
- an object with x-amz-website-redirect-location answers 301 to it;
- only what anyone may read is served (a bucket policy allowing s3:GetObject to "*", or a
  public-read ACL, and Block Public Access not restricting them); else 403;
- an error is the ErrorDocument with the error's status when there is one, else S3's HTML
  error page.
"""

from __future__ import annotations

import fnmatch
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .acls import ALL_USERS, Grant
from .errors import InvalidArgument, InvalidRequest, MalformedXml
from .model import Bucket

MAX_ROUTING_RULES = 50


@dataclass(frozen=True, slots=True)
class Redirect:
    status: int
    location: str


def check_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """PutBucketWebsite's configuration, as S3 refuses it; the one to store."""
    everything = config.get("RedirectAllRequestsTo")
    if everything:
        if any(config.get(k) for k in ("IndexDocument", "ErrorDocument", "RoutingRules")):
            raise InvalidRequest(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules."
            )
        if not everything.get("HostName"):
            raise MalformedXml()
        _check_protocol(everything.get("Protocol"))
        return {"RedirectAllRequestsTo": dict(everything)}
    suffix = (config.get("IndexDocument") or {}).get("Suffix")
    if not suffix:
        raise InvalidArgument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
            "",
        )
    if "/" in suffix:
        raise InvalidArgument(
            "The IndexDocument Suffix is not well formed", "IndexDocument", suffix
        )
    stored: dict[str, Any] = {"IndexDocument": {"Suffix": suffix}}
    error_key = (config.get("ErrorDocument") or {}).get("Key")
    if config.get("ErrorDocument") is not None:
        if not error_key:
            raise InvalidArgument("The ErrorDocument Key is not well formed", "ErrorDocument", "")
        stored["ErrorDocument"] = {"Key": error_key}
    rules = config.get("RoutingRules") or []
    if len(rules) > MAX_ROUTING_RULES:
        raise InvalidRequest(f"The number of routing rules must not exceed {MAX_ROUTING_RULES}")
    for rule in rules:
        _check_rule(rule)
    if rules:
        stored["RoutingRules"] = [dict(rule) for rule in rules]
    return stored


def _check_rule(rule: Mapping[str, Any]) -> None:
    redirect = rule.get("Redirect")
    if not redirect:
        raise MalformedXml()
    if redirect.get("ReplaceKeyWith") is not None and (
        redirect.get("ReplaceKeyPrefixWith") is not None
    ):
        raise InvalidRequest("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
    _check_protocol(redirect.get("Protocol"))
    code = redirect.get("HttpRedirectCode")
    if code is not None and not (str(code).isdigit() and 301 <= int(code) <= 399):
        raise InvalidRequest(
            f"The provided HTTP redirect code ({code}) is not valid. Valid codes are 3XX "
            "except 300."
        )
    returned = (rule.get("Condition") or {}).get("HttpErrorCodeReturnedEquals")
    if returned is not None and not (str(returned).isdigit() and 400 <= int(returned) <= 599):
        raise InvalidRequest(
            f"The provided HTTP error code ({returned}) is not valid. Valid codes are 4XX or 5XX."
        )


def _check_protocol(protocol: str | None) -> None:
    if protocol is not None and protocol not in ("http", "https"):
        raise InvalidRequest(
            "Invalid protocol, protocol can be http or https. If not defined the protocol "
            "will be selected automatically."
        )


# ---- answering a request ---------------------------------------------------------------


def redirect_all(config: Mapping[str, Any], path: str, scheme: str) -> Redirect | None:
    everything = config.get("RedirectAllRequestsTo")
    if not everything:
        return None
    protocol = everything.get("Protocol") or scheme
    return Redirect(301, f"{protocol}://{everything['HostName']}{path}")


def routed(
    config: Mapping[str, Any], key: str, error: int | None, host: str, scheme: str
) -> Redirect | None:
    """The first routing rule that applies to `key` (before reading it: error None; after
    an error: its status) as a redirect."""
    for rule in config.get("RoutingRules") or ():
        condition = rule.get("Condition") or {}
        prefix = condition.get("KeyPrefixEquals")
        returned = condition.get("HttpErrorCodeReturnedEquals")
        if prefix is not None and not key.startswith(prefix):
            continue
        if returned is not None and (error is None or int(returned) != error):
            continue
        if returned is None and error is not None:
            continue  # (a prefix-only rule applied before the read)
        redirect = rule["Redirect"]
        if redirect.get("ReplaceKeyWith") is not None:
            target = redirect["ReplaceKeyWith"]
        elif redirect.get("ReplaceKeyPrefixWith") is not None:
            target = redirect["ReplaceKeyPrefixWith"] + key[len(prefix or "") :]
        else:
            target = key
        protocol = redirect.get("Protocol") or scheme
        where = redirect.get("HostName") or host
        return Redirect(
            int(redirect.get("HttpRedirectCode") or 301), f"{protocol}://{where}/{target}"
        )
    return None


def index_key(config: Mapping[str, Any], key: str) -> str:
    """The key a path reads: a folder's (empty, or ending in "/") is its index document."""
    if key == "" or key.endswith("/"):
        return f"{key}{config['IndexDocument']['Suffix']}"
    return key


def folder_index(config: Mapping[str, Any], key: str) -> str:
    """Where a missing key's folder index would be (`docs` -> `docs/index.html`)."""
    return f"{key}/{config['IndexDocument']['Suffix']}"


def anyone_may_read(bucket: Bucket, key: str, grants: Sequence[Grant]) -> bool:
    """Whether an anonymous GET of `key` is allowed: a bucket policy statement allowing
    s3:GetObject to everyone on a matching resource (and none denying it), or a public-read
    object ACL; Block Public Access's RestrictPublicBuckets and IgnorePublicAcls take each
    away, as on S3."""
    blocks = bucket.public_access or {}
    if bucket.policy and not blocks.get("RestrictPublicBuckets"):
        verdict = _policy_verdict(json.loads(bucket.policy), f"arn:aws:s3:::{bucket.name}/{key}")
        if verdict is not None:
            return verdict
    return not blocks.get("IgnorePublicAcls") and any(
        g.kind == "Group" and g.grantee == ALL_USERS and g.permission in ("READ", "FULL_CONTROL")
        for g in grants
    )


def _policy_verdict(document: Mapping[str, Any], resource: str) -> bool | None:
    """False if a statement denies everyone the read, True if one allows it, else None.
    Statements with conditions are not evaluated (an anonymous request has little to
    compare): they neither allow nor deny."""
    allowed = False
    statements = document.get("Statement")
    for s in statements if isinstance(statements, list) else [statements]:
        if not isinstance(s, dict) or s.get("Condition") or not _everyone(s.get("Principal")):
            continue
        if not _any_match(s.get("Action"), "s3:GetObject") or not _any_match(
            s.get("Resource"), resource
        ):
            continue
        if s.get("Effect") == "Deny":
            return False
        allowed = allowed or s.get("Effect") == "Allow"
    return True if allowed else None


def _everyone(principal: Any) -> bool:
    return principal == "*" or (
        isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])
    )


def _any_match(patterns: Any, value: str) -> bool:
    items = patterns if isinstance(patterns, list) else [patterns]
    return any(isinstance(p, str) and fnmatch.fnmatchcase(value.lower(), p.lower()) for p in items)


def error_page(status: int, code: str, message: str, request_id: str, **extra: str) -> bytes:
    """S3's HTML error page for the website endpoint."""
    titles = {403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed"}
    title = titles.get(status, f"{status} Error")
    items = [("Code", code), ("Message", message), *extra.items(), ("RequestId", request_id)]
    listed = "\n".join(f"<li>{name}: {html.escape(value)}</li>" for name, value in items)
    return (
        f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n"
        f"<ul>\n{listed}\n</ul>\n<hr/>\n</body>\n</html>\n"
    ).encode()
