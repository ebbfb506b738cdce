"""The one HTTP fetcher for pages and feeds: polite and safe.

Polite: an identifying User-Agent, robots.txt honoured, at most ``per_host`` requests to a host at
once and ``delay`` seconds between their starts. Safe: http(s) only; every hop's host is resolved
and each of its addresses checked (no loopback, private, link-local, reserved, multicast targets
unless ``allow_private``), and the connection goes to the address that was checked, so a DNS answer
cannot change between check and connect; redirects are followed here, a few at most; a timeout on
connect and on each read, and a deadline for the whole body; a size cap checked on the declared
length before reading and on the bytes as they come; the content type checked before the body is read.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from .models import size_label

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/feed+json", "application/json", "text/x-opml", "application/x-opml+xml", "text/plain",
})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_READ_STEP = 64 * 1024
# Characters a request path keeps as they are (reserved ones, and "%" of an escape already made).
_URL_SAFE = "/?&=;:@!$'()*+,~%"
# RFC 9309: a crawler may stop reading robots.txt after 500 KiB, and keep it no longer than a day.
_ROBOTS_BYTES = 500 * 1024
_ROBOTS_SECONDS = 24 * 3600
# A server trickling a byte before every read timeout would hold a worker for ever.
_BODY_DEADLINE_TIMEOUTS = 3


@dataclass(frozen=True)
class FetchSettings:
    """How the fetcher behaves; plain values, filled from the configuration by the caller."""

    timeout: float = 10.0
    max_bytes: int = 5 * 2**20
    max_redirects: int = 5
    per_host: int = 2
    delay: float = 1.0
    user_agent: str = "newsqa/0.1 (offline news question answering; honours robots.txt)"
    allow_private: bool = False


@dataclass(frozen=True)
class Response:
    """A successful fetch (200), or ``not_modified`` (304) when the validators sent still hold."""

    url: str  # after redirects
    status: int
    body: bytes = b""
    content_type: str = ""  # the media type, lower case, without parameters; "" when not given
    charset: str = ""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchError(Exception):
    """Why a URL was not fetched, in a few words (``HTTP 404``, ``timed out``); ``transient`` when a
    later try may succeed (timeouts, 5xx, unreachable hosts)."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def is_public(address: Address) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local, reserved,
    multicast, unspecified and shared (CGNAT) ones, also inside IPv4-mapped and 6to4 IPv6 addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                       or address.is_reserved or address.is_multicast or address.is_unspecified)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass(frozen=True)
class _Target:
    """One hop's destination, its host's addresses already checked."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str]

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass
class _Host:
    """Per-host politeness state: concurrent slots, the next allowed start, the robots.txt rules."""

    slots: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_error: str = ""
    robots_read: float = 0.0  # time.monotonic() when robots.txt was read


class Fetcher:
    """Fetch URLs under :class:`FetchSettings`; thread-safe, meant to be shared by a run's workers.

    ``resolver`` and ``public`` are the name lookup and the address rule; tests replace them to
    play a public host on 127.0.0.1, and the rule is still applied to every hop's resolved addresses.
    """

    def __init__(self, settings: FetchSettings = FetchSettings(), resolver: Resolver = resolve,
                 public: Callable[[Address], bool] = is_public) -> None:
        self.settings = settings
        self._resolver = resolver
        self._public = public
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    def fetch(self, url: str, accept: Collection[str] = PAGE_TYPES | FEED_TYPES, etag: str = "",
              last_modified: str = "") -> Response:
        """GET ``url`` (robots.txt permitting), following redirects; conditional when validators are given.

        Raises :class:`FetchError` for a refused, failed or unacceptable fetch.
        """
        return self._get(url, accept, etag, last_modified, self.settings.max_bytes, robots=True)

    def _get(self, url: str, accept: Collection[str] | None, etag: str, last_modified: str,
             max_bytes: int, robots: bool) -> Response:
        visited = {url}
        for _ in range(self.settings.max_redirects + 1):
            target = self._target(url)  # before robots.txt: a refused host is not asked for it either
            if robots and not self._robots_allow(target):
                raise FetchError("disallowed by robots.txt")
            status, headers, body = self._hop(target, accept, etag, last_modified, max_bytes)
            if status not in _REDIRECTS:
                break
            if not (location := headers.get("location")):
                raise FetchError(f"HTTP {status} without a Location")
            url = urljoin(url, location.strip())
            if url in visited:
                raise FetchError("redirect loop")
            visited.add(url)
        else:
            raise FetchError(f"more than {self.settings.max_redirects} redirects")
        if status == 304 and (etag or last_modified):
            return Response(url, 304, etag=etag, last_modified=last_modified)
        if status != 200:
            raise FetchError(f"HTTP {status}", transient=status >= 500 or status in (408, 429))
        media, _, params = headers.get("content-type", "").partition(";")
        charset = next((v.strip().strip('"') for k, _, v in (p.partition("=") for p in params.split(";"))
                        if k.strip().lower() == "charset"), "")
        return Response(url, 200, body, media.strip().lower(), charset, headers.get("etag", ""),
                        headers.get("last-modified", ""))

    def _target(self, url: str) -> _Target:
        """Where ``url`` leads, checked: scheme, host, port, and every address the host resolves to."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"unsupported URL scheme {parts.scheme or '(none)'!r}: only http and https")
        if not parts.hostname:
            raise FetchError("no host in URL")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError("bad port in URL") from None
        # http.client sends the path as ASCII: a feed's link may be written with any letters.
        path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE)
        return _Target(parts.scheme, parts.hostname.lower(), port, path, self._addresses(parts.hostname, port))

    def _hop(self, target: _Target, accept: Collection[str] | None, etag: str, last_modified: str,
             max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        """One request, no redirect followed: status, headers (lower-case names) and, for a 200, the body."""
        headers = {"User-Agent": self.settings.user_agent, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with self._turn(target.host):
            try:
                conn = _connect(target, self.settings.timeout)
                try:
                    conn.request("GET", target.path, headers=headers)
                    response = conn.getresponse()
                    head = {k.lower(): v for k, v in response.getheaders()}
                    if response.status != 200:
                        return response.status, head, b""
                    media = head.get("content-type", "").partition(";")[0].strip().lower()
                    if accept is not None and media and media not in accept:
                        raise FetchError(f"unsupported content type {media}")
                    return 200, head, self._body(response, head, max_bytes)
                finally:
                    conn.close()
            except (TimeoutError, socket.timeout):
                raise FetchError("timed out", transient=True) from None
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(f"connection failed: {exc.__class__.__name__}", transient=True) from None

    def _addresses(self, host: str, port: int) -> list[str]:
        """``host``'s addresses, all of them allowed, or FetchError (one bad address refuses the host:
        a name answering both public and private addresses is how DNS rebinding starts)."""
        try:
            found = self._resolver(host, port)
        except (OSError, UnicodeError):
            raise FetchError(f"cannot resolve {host}", transient=True) from None
        if not found:
            raise FetchError(f"cannot resolve {host}", transient=True)
        if not self.settings.allow_private:
            for raw in found:
                address = ipaddress.ip_address(raw.split("%")[0])  # an IPv6 zone suffix is not part of it
                if not self._public(address):
                    raise FetchError(f"refused: {host} is {address}, not a public address (--allow-private allows it)")
        return found

    def _body(self, response: http.client.HTTPResponse, headers: dict[str, str], max_bytes: int) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"too large ({size_label(int(declared))} > limit {size_label(max_bytes)})")
        deadline = time.monotonic() + _BODY_DEADLINE_TIMEOUTS * self.settings.timeout
        body = bytearray()
        while chunk := response.read1(_READ_STEP):
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"too large (over the limit of {size_label(max_bytes)})")
            if time.monotonic() > deadline:
                raise FetchError("timed out", transient=True)
        return bytes(body)

    def _host(self, name: str) -> _Host:
        with self._hosts_lock:
            if name not in self._hosts:
                self._hosts[name] = _Host(threading.BoundedSemaphore(max(1, self.settings.per_host)))
            return self._hosts[name]

    @contextmanager
    def _turn(self, name: str) -> Iterator[None]:
        """Wait for a free slot on the host and for its politeness delay (robots.txt's Crawl-delay if longer)."""
        host = self._host(name)
        with host.slots:
            crawl_delay = host.robots.crawl_delay(_AGENT) if host.robots else None
            delay = max(self.settings.delay, float(crawl_delay or 0))
            with host.lock:
                start = max(time.monotonic(), host.next_start)
                host.next_start = start + delay
            time.sleep(max(0.0, start - time.monotonic()))
            yield

    def _robots_allow(self, target: _Target) -> bool:
        """robots.txt of the target's host (read again after a day): 4xx means no rules (RFC 9309);
        an unreachable one or a 5xx means stay away from the host."""
        host = self._host(target.host)
        with host.robots_lock:
            if host.robots is None or time.monotonic() - host.robots_read > _ROBOTS_SECONDS:
                host.robots_error, host.robots_read = "", time.monotonic()
                rules = urllib.robotparser.RobotFileParser()
                try:
                    robots_url = f"{target.scheme}://{target.netloc}/robots.txt"
                    response = self._get(robots_url, None, "", "", _ROBOTS_BYTES, robots=False)
                    rules.parse(response.body.decode("utf-8", errors="replace").splitlines())
                except FetchError as exc:
                    if exc.transient or not str(exc).startswith("HTTP 4"):
                        host.robots_error = str(exc)
                    rules.allow_all = True
                host.robots = rules
        if host.robots_error:
            raise FetchError(f"robots.txt unavailable ({host.robots_error})", transient=True)
        return host.robots.can_fetch(_AGENT, f"{target.scheme}://{target.netloc}{target.path}")


# The product token robots.txt rules name (User-agent: newsqa).
_AGENT = "newsqa"


def _connect(target: _Target, timeout: float) -> http.client.HTTPConnection:
    """A connection to the first reachable checked address, speaking to the host (Host header, TLS name)."""
    for address in target.addresses:
        try:
            sock = socket.create_connection((address, target.port), timeout)
        except (TimeoutError, socket.timeout):
            raise
        except OSError:
            continue
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
            conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout)
        else:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        conn.sock = sock  # already connected: http.client does not connect (or resolve) again
        return conn
    raise FetchError(f"cannot connect to {target.netloc}", transient=True)
