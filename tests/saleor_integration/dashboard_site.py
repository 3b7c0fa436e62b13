"""The Saleor Dashboard's prebuilt single-page app, served next to a live Saleor.

Support for the browser tests (not collected as tests). The dashboard build is a
folder of static files whose ``index.html`` names the GraphQL API it talks to.
"""

from __future__ import annotations

import http.client
import mimetypes
import os
import tarfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

MOUNT = "/dashboard/"
API_PATH = "/graphql/"
ARCHIVE_PATTERN = "saleor-dashboard-*-build.tar.gz"
# The address the build was made with; it is rewritten to the served one.
BUILT_API_URL = "http://127.0.0.1:8123/graphql/"
# Headers that belong to one connection, or that each side sets itself.
_NOT_FORWARDED = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length", "server", "date",
}


def find_dashboard(shared_dir: Path) -> Path | None:
    """The dashboard build to serve: ``$SALEOR_DASHBOARD`` (archive or folder), else
    the first ``saleor-dashboard-*-build.tar.gz`` in ``shared_dir``; None if neither exists."""
    configured = os.environ.get("SALEOR_DASHBOARD")
    if configured:
        path = Path(configured).expanduser()
        return path if path.exists() else None
    archives = sorted(shared_dir.glob(ARCHIVE_PATTERN))
    return archives[0] if archives else None


def unpack_dashboard(source: Path, destination: Path) -> Path:
    """The folder holding the build's ``index.html``; an archive is unpacked into ``destination``."""
    if source.is_file():
        with tarfile.open(source) as archive:
            archive.extractall(destination, filter="data")
        source = destination
    indexes = sorted(source.rglob("index.html"), key=lambda path: len(path.parts))
    if not indexes:
        raise FileNotFoundError(f"no index.html in the dashboard build at {source}")
    return indexes[0].parent


class DashboardSite:
    """A threaded HTTP server: the build at ``/dashboard/`` (unknown paths answered by
    ``index.html``, as a single-page app needs) and ``/graphql/`` forwarded to Saleor.

    Forwarding keeps the browser on one origin: Saleor answers CORS only in its ASGI
    application (``saleor/asgi/cors_handler.py``), not under a WSGI server such as
    Django's live test server, so a dashboard on another port could not call it.
    """

    def __init__(self, root: Path, api_url: str, host: str = "127.0.0.1") -> None:
        self.root = root.resolve()
        self.api = urlsplit(api_url)
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self.origin = f"http://{host}:{self._server.server_address[1]}"
        index = (self.root / "index.html").read_text(encoding="utf-8")
        if BUILT_API_URL not in index:
            raise ValueError(f"{self.root / 'index.html'} does not name {BUILT_API_URL} as its API_URL")
        self.index_html = index.replace(BUILT_API_URL, self.origin + API_PATH).encode()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return self.origin + MOUNT

    def __enter__(self) -> DashboardSite:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def static_file(self, request_path: str) -> Path | None:
        """The build's file for a path under the mount, or None (then index.html answers)."""
        relative = urlsplit(request_path).path[len(MOUNT):]
        candidate = (self.root / relative).resolve()
        inside = candidate.is_relative_to(self.root)
        return candidate if inside and candidate.is_file() and candidate.name != "index.html" else None

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send one request on to the API; returns (status, headers, body)."""
        connection = http.client.HTTPConnection(self.api.hostname, self.api.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _handler_for(site: DashboardSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def handle(self) -> None:
            try:
                super().handle()
            except ConnectionError:
                pass  # the browser went elsewhere mid-answer, cancelling its requests

        def do_GET(self) -> None:
            if self.path.startswith(API_PATH):
                self._forward()
            elif self.path.startswith(MOUNT):
                file = site.static_file(self.path)
                if file is None:
                    self._send(HTTPStatus.OK, "text/html; charset=utf-8", site.index_html)
                else:
                    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    self._send(HTTPStatus.OK, content_type, file.read_bytes())
            else:
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", MOUNT)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def do_POST(self) -> None:
            self._forward()

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
            status, response_headers, content = site.forward(self.command, self.path, headers, body)
            self.send_response(status)
            for name, value in response_headers:
                if name.lower() not in _NOT_FORWARDED:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def _send(self, status: HTTPStatus, content_type: str, content: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test output stays readable; failures are reported by the browser test

    return Handler
