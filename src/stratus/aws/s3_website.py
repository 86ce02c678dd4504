"""S3's website endpoint: a bucket with a WebsiteConfiguration, served as a static site on

    http://<bucket>.s3-website.localhost:4566/<path>
    (also <bucket>.s3-website-<region>.localhost and <bucket>.s3-website.<region>.localhost)

What it answers is stratus.objects.websites' (index documents, redirects, routing rules,
error documents, only publicly readable objects); this module reads the bucket and objects
and writes the HTTP answer: the object's content headers, ETag and Last-Modified, 304 for a
matching If-None-Match / If-Modified-Since, S3's HTML error pages.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from stratus import ids
from stratus.objects import conditions, websites
from stratus.objects.errors import (
    NoSuchBucket,
    NoSuchKey,
    NoSuchWebsiteConfiguration,
    NotModified,
)
from stratus.objects.model import ObjectVersion
from stratus.objects.service import ObjectService
from stratus.services import Services

from .protocols.timestamps import format_time, parse_time

_WEBSITE = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3-website(?:[.-][a-z]{2}(?:-[a-z]+)+-\d)?\.localhost$"
)
_HEADER_NAMES = {
    "ContentType": "Content-Type",
    "ContentEncoding": "Content-Encoding",
    "ContentDisposition": "Content-Disposition",
    "ContentLanguage": "Content-Language",
    "CacheControl": "Cache-Control",
    "Expires": "Expires",
}


def website_bucket(host: str | None) -> str | None:
    """The bucket a website host names; None for any other host."""
    if not host:
        return None
    found = _WEBSITE.match(host.rsplit(":", 1)[0].lower())
    return found["bucket"] if found else None


class WebsiteRoute(BaseRoute):
    """Serves the website hosts (before S3's route, whose virtual hosts would match them)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        host = Headers(scope=scope).get("host")
        bucket = website_bucket(host)
        return (Match.FULL, {"s3_website_bucket": bucket}) if bucket else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["app"].state.services
        site = _Site(services.objects, scope)
        response = await site.wait_answer()
        await response(scope, receive, send)


class _Site:
    def __init__(self, objects: ObjectService, scope: Scope) -> None:
        self.objects = objects
        self.scope = scope
        self.headers = Headers(scope=scope)
        self.bucket_name: str = scope["s3_website_bucket"]
        self.method: str = scope["method"]
        self.request_id = ids.uuid4().replace("-", "")[:16].upper()
        self.host = self.headers.get("host", "")
        self.scheme: str = scope.get("scheme", "http")

    async def wait_answer(self) -> Response:
        if self.method not in ("GET", "HEAD"):
            message = "The specified method is not allowed against this resource."
            return self._error(405, "MethodNotAllowed", message, Method=self.method)
        try:
            config = await self.objects.website_config(self.bucket_name)
        except NoSuchBucket:
            message = "The specified bucket does not exist"
            return self._error(404, "NoSuchBucket", message, BucketName=self.bucket_name)
        except NoSuchWebsiteConfiguration as exc:
            code, name = "NoSuchWebsiteConfiguration", self.bucket_name
            return self._error(404, code, exc.message, BucketName=name)
        raw = self.scope.get("raw_path") or self.scope["path"].encode()
        path = urllib.parse.unquote(raw.decode("latin-1").split("?", 1)[0])
        key = path.lstrip("/")
        redirect = websites.redirect_all(config, path, self.scheme) or websites.routed(
            config, key, None, self.host, self.scheme
        )
        if redirect is not None:
            return self._redirect(redirect)
        wanted = websites.index_key(config, key)
        version = await self._readable(wanted)
        folder = websites.folder_index(config, key)
        if version is None and wanted == key and key and await self._readable(folder):
            return self._redirect(websites.Redirect(302, f"/{key}/"))
        if version is None:
            message = "The specified key does not exist."
            return await self._wait_error(config, key, 404, "NoSuchKey", message, Key=wanted)
        if not await self._wait_public(version):
            return await self._wait_error(config, key, 403, "AccessDenied", "Access Denied")
        location = version.headers.get("WebsiteRedirectLocation")
        if location:
            return self._redirect(websites.Redirect(301, location))
        return self._object(version, 200)

    async def _wait_public(self, version: ObjectVersion) -> bool:
        bucket = await self.objects.bucket(self.bucket_name)
        return websites.anyone_may_read(bucket, version.key, version.acl)

    async def _readable(self, key: str) -> ObjectVersion | None:
        try:
            version = await self.objects.head_object(self.bucket_name, key, None)
        except NoSuchKey:
            return None
        return None if version.delete_marker else version

    async def _wait_error(
        self, config: dict[str, Any], key: str, status: int, code: str, message: str, **extra: str
    ) -> Response:
        """The error, unless a routing rule redirects it; the ErrorDocument (with the
        error's status) when the site has one that anyone may read; else S3's page."""
        redirect = websites.routed(config, key, status, self.host, self.scheme)
        if redirect is not None:
            return self._redirect(redirect)
        document = (config.get("ErrorDocument") or {}).get("Key")
        version = await self._readable(document) if document else None
        if version is not None and await self._wait_public(version):
            return self._object(version, status, conditional=False)
        return self._error(status, code, message, **extra)

    def _object(self, version: ObjectVersion, status: int, conditional: bool = True) -> Response:
        headers = {
            "ETag": version.etag,
            "Last-Modified": format_time(version.modified, "rfc822"),
            "Content-Type": "binary/octet-stream",
            "x-amz-request-id": self.request_id,
            "Server": "AmazonS3",
        }
        for name, value in version.headers.items():
            if name in _HEADER_NAMES:
                headers[_HEADER_NAMES[name]] = value
        if conditional:
            try:
                conditions.check_read(
                    version,
                    None,
                    self.headers.get("if-none-match"),
                    _http_date(self.headers.get("if-modified-since")),
                    None,
                )
            except NotModified:
                return Response(b"", 304, {k: v for k, v in headers.items() if k != "Content-Type"})
        headers["Content-Length"] = str(version.size)
        if self.method == "HEAD" or version.size == 0:
            return Response(b"", status, headers)
        body = self.objects.wait_read(version, 0, version.size - 1)
        return StreamingResponse(body, status, headers)

    def _redirect(self, redirect: websites.Redirect) -> Response:
        headers = {"Location": redirect.location, "x-amz-request-id": self.request_id}
        return Response(b"", redirect.status, headers)

    def _error(self, status: int, code: str, message: str, **extra: str) -> Response:
        headers = {"Content-Type": "text/html; charset=utf-8", "x-amz-request-id": self.request_id}
        if self.method == "HEAD":
            return Response(b"", status, headers)
        page = websites.error_page(status, code, message, self.request_id, **extra)
        return Response(page, status, headers)


def _http_date(value: str | None) -> Any:
    if not value:
        return None
    try:
        return parse_time(value, "rfc822")
    except ValueError:
        return None  # (an unreadable date is ignored, as S3 does)


__all__ = ["WebsiteRoute", "website_bucket"]
