"""Artifact uploads: where `stratus deploy` puts code before the template that names it.

    PUT  /_stratus/artifacts          raw body (at most 250 MB)
         200 {"Bucket": "stratus-artifacts", "Key": "<sha256>",
              "Location": "s3://stratus-artifacts/<sha256>"}
    HEAD /_stratus/artifacts/{key}    200 (Content-Length) or 404: skip unchanged uploads
    GET  /_stratus/artifacts/{key}    the blob, to look at what was deployed

Not an AWS API: `sam package` uploads to S3, and this stands in for that bucket until
Stratus has object storage. The body is streamed to disk, never held whole in memory.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from stratus.errors import NotFound, TooLarge
from stratus.services import Services
from stratus.store.artifacts import ARTIFACTS_BUCKET, ArtifactStore, NoSuchArtifact

from .wire import json_response

PREFIX = "/_stratus/artifacts"
# Lambda's unzipped limit; no package or definition Stratus reads can be larger.
MAX_ARTIFACT_BYTES = 250 * 1024 * 1024
# Chunks are gathered to this size before a write, so a big upload is a few thread hops.
_WRITE_BATCH = 1024 * 1024


def _store(request: Request) -> ArtifactStore:
    services: Services = request.app.state.services
    return services.artifacts


def _too_large() -> TooLarge:
    return TooLarge(
        f"Artifacts must be at most {MAX_ARTIFACT_BYTES} bytes (Lambda's unzipped limit)"
    )


async def put_artifact(request: Request) -> Response:
    if int(request.headers.get("content-length") or 0) > MAX_ARTIFACT_BYTES:
        raise _too_large()
    writer = await asyncio.to_thread(_store(request).writer)
    try:
        pending: list[bytes] = []
        buffered = received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_ARTIFACT_BYTES:
                raise _too_large()
            pending.append(chunk)
            buffered += len(chunk)
            if buffered >= _WRITE_BATCH:
                await asyncio.to_thread(writer.write, b"".join(pending))
                pending, buffered = [], 0
        await asyncio.to_thread(writer.write, b"".join(pending))
        artifact = await asyncio.to_thread(writer.commit)
    except BaseException:
        await asyncio.to_thread(writer.discard)
        raise
    return json_response(
        {"Bucket": ARTIFACTS_BUCKET, "Key": artifact.key, "Location": artifact.location}
    )


async def get_artifact(request: Request) -> Response:
    try:
        path = await asyncio.to_thread(_store(request).path, request.path_params["key"])
    except NoSuchArtifact:
        if request.method == "HEAD":
            return Response(status_code=404)
        raise NotFound(
            f"No artifact {request.path_params['key']}; upload it with PUT {PREFIX}"
        ) from None
    return FileResponse(path, media_type="application/octet-stream")


routes = [
    Route(PREFIX, put_artifact, methods=["PUT"]),
    # Starlette answers HEAD for GET routes; FileResponse sends the headers only.
    Route(f"{PREFIX}/{{key}}", get_artifact, methods=["GET"]),
]
