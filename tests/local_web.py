"""A small web site on 127.0.0.1 for the fetching and feed tests: routes to pages, a log of requests.

Binds port 0, serves from a daemon thread, and is shut down on exit. Pages get an ETag and answer
a matching If-None-Match (or If-Modified-Since, for a page given a Last-Modified) with 304, as a real
news site's CDN does.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    """What one path answers."""

    body: bytes = b""
    type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    # Answer only once this many requests are in flight (or after 5 s): concurrency that a loaded
    # machine's thread scheduling cannot hide.
    together: int = 0
    length: bool = True  # send Content-Length (else the body ends when the connection closes)


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]


class LocalWeb:
    """``with LocalWeb() as web: web.routes["/a"] = Page(b"..."); fetch(web.url("/a"))``."""

    def __init__(self) -> None:
        self.routes: dict[str, Page] = {}
        self.log: list[Hit] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> LocalWeb:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                web._serve(self)

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="local-web", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.log if h.path == path]

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        with self._lock:
            self.log.append(Hit(request.path, {k.lower(): v for k, v in request.headers.items()}))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._arrived.notify_all()
        try:
            page = self.routes.get(path) or Page(b"not found", "text/plain", 404)
            with self._arrived:
                self._arrived.wait_for(lambda: self.in_flight >= page.together, timeout=5.0)
            time.sleep(page.delay)
        finally:
            # Before replying: a client holding its whole answer may send its next request at once,
            # before this thread would get back here.
            with self._lock:
                self.in_flight -= 1
        try:
            etag = f'"{hashlib.sha1(page.body).hexdigest()[:12]}"'
            modified = page.headers.get("Last-Modified")
            if page.status == 200 and (request.headers.get("If-None-Match") == etag
                                       or modified and request.headers.get("If-Modified-Since") == modified):
                request.send_response(304)
                request.send_header("ETag", etag)
                request.end_headers()
                return
            request.send_response(page.status)
            request.send_header("Content-Type", page.type)
            if page.status == 200:
                request.send_header("ETag", etag)
            if page.length:
                request.send_header("Content-Length", str(len(page.body)))
            for name, value in page.headers.items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(page.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout under test)
