"""Fixtures of the topic tests: an HTTP endpoint of the test's own."""

from __future__ import annotations

import http.server
import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class Endpoint:
    """A tiny HTTP server of the test's: records what it is sent, answers `status`."""

    url: str
    received: queue.Queue[tuple[dict[str, str], dict[str, Any] | str]] = field(
        default_factory=queue.Queue
    )
    status: dict[str, int] = field(default_factory=dict)  # by x-amz-sns-message-type
    delay: float = 0.0  # seconds to take over each answer

    def next(self, timeout: float = 10.0) -> tuple[dict[str, str], Any]:
        return self.received.get(timeout=timeout)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    holder: list[Endpoint] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                parsed: Any = json.loads(body)
            except ValueError:
                parsed = body
            holder[0].received.put((headers, parsed))
            time.sleep(holder[0].delay)
            status = holder[0].status.get(headers.get("x-amz-sns-message-type", ""), 200)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Endpoint(f"http://127.0.0.1:{httpd.server_address[1]}/hook"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
