"""The fetcher against a real HTTP server on 127.0.0.1: politeness, limits, one-line errors, and the
address policy on every hop. No model, no store: all fast."""
from __future__ import annotations

import ipaddress
import threading

import pytest

from index.fetching import FEED_TYPES, PAGE_TYPES, Fetcher, FetchError, FetchSettings, is_public
from local_web import LocalWeb, Page

pytestmark = pytest.mark.fast

ARTICLE = b"<html><head><title>T</title></head><body><p>Hello.</p></body></html>"
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def loopback_fetcher(**settings) -> Fetcher:
    return Fetcher(FetchSettings(**{"delay": 0.0, "timeout": 2.0, "allow_private": True, **settings}))


def refusal(fetcher: Fetcher, url: str, accept=PAGE_TYPES | FEED_TYPES) -> str:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url, accept)
    return str(caught.value)


@pytest.fixture
def web():
    with LocalWeb() as site:
        site.routes["/a"] = Page(ARTICLE)
        yield site


def test_a_page_is_fetched_with_our_user_agent_and_a_conditional_get_costs_nothing(web):
    fetcher = loopback_fetcher()
    first = fetcher.fetch(web.url("/a"))
    assert (first.status, first.body, first.content_type, first.charset) == (200, ARTICLE, "text/html", "utf-8")
    assert first.etag
    again = fetcher.fetch(web.url("/a"), etag=first.etag)
    assert again.not_modified and again.body == b""
    hits = web.hits("/a")
    assert [h.headers.get("if-none-match") for h in hits] == [None, first.etag]
    assert all(h.headers["user-agent"].startswith("newsqa/") for h in hits)


def test_last_modified_alone_makes_a_conditional_get(web):
    web.routes["/dated"] = Page(ARTICLE, headers={"Last-Modified": "Tue, 05 Mar 2024 08:00:00 GMT"})
    fetcher = loopback_fetcher()
    first = fetcher.fetch(web.url("/dated"))
    assert first.last_modified == "Tue, 05 Mar 2024 08:00:00 GMT"
    assert fetcher.fetch(web.url("/dated"), last_modified=first.last_modified).not_modified
    assert web.hits("/dated")[1].headers["if-modified-since"] == first.last_modified


def test_a_link_written_in_any_letters_is_sent_escaped(web):
    web.routes["/caf%C3%A9/%C3%BCber"] = Page(ARTICLE)
    assert loopback_fetcher().fetch(web.url("/café/%C3%BCber?q=ä")).body == ARTICLE
    assert web.log[-1].path == "/caf%C3%A9/%C3%BCber?q=%C3%A4"


@pytest.mark.parametrize("route, page, message", [
    ("/gone", None, "HTTP 404"),
    ("/report.pdf", Page(b"%PDF-1.7 binary", "application/pdf"), "unsupported content type application/pdf"),
    ("/photo", Page(b"\x89PNG\r\n", "image/png"), "unsupported content type image/png"),
    ("/big", Page(b"x" * 300_000), "too large (300000 bytes > limit 100000 bytes)"),
    ("/big-unannounced", Page(b"x" * 300_000, length=False), "too large (over the limit of 100000 bytes)"),
    ("/slow", Page(ARTICLE, delay=4.0), "timed out"),
    ("/broken", Page(ARTICLE, status=500), "HTTP 500"),
])
def test_a_failed_fetch_is_one_short_line(web, route, page, message):
    if page:
        web.routes[route] = page
    assert refusal(loopback_fetcher(max_bytes=100_000, timeout=2.0), web.url(route)) == message


def test_redirects_are_followed_to_a_limit_and_loops_stop(web):
    web.routes["/old"] = Page(status=301, headers={"Location": "/a"})
    web.routes["/loop1"] = Page(status=302, headers={"Location": "/loop2"})
    web.routes["/loop2"] = Page(status=302, headers={"Location": web.url("/loop1")})
    for n in range(7):
        web.routes[f"/hop{n}"] = Page(status=307, headers={"Location": f"/hop{n + 1}"})
    fetcher = loopback_fetcher()
    assert fetcher.fetch(web.url("/old")).url == web.url("/a")
    assert refusal(fetcher, web.url("/loop1")) == "redirect loop"
    assert len(web.hits("/loop1")) == 1 and len(web.hits("/loop2")) == 1
    assert refusal(fetcher, web.url("/hop0")) == "more than 5 redirects"
    assert not web.hits("/hop6")


def test_content_types_are_checked_before_the_body_is_used(web):
    web.routes["/feed"] = Page(b"<rss/>", "application/rss+xml")
    assert loopback_fetcher().fetch(web.url("/feed"), FEED_TYPES).content_type == "application/rss+xml"
    assert refusal(loopback_fetcher(), web.url("/feed"), PAGE_TYPES) == "unsupported content type application/rss+xml"


def test_robots_txt_is_read_once_and_honoured(web):
    web.routes["/robots.txt"] = Page(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    web.routes["/private/memo"] = Page(ARTICLE)
    fetcher = loopback_fetcher()
    assert refusal(fetcher, web.url("/private/memo")) == "disallowed by robots.txt"
    assert fetcher.fetch(web.url("/a")).status == 200
    assert not web.hits("/private/memo") and len(web.hits("/robots.txt")) == 1


def test_an_unreachable_robots_txt_keeps_us_away(web):
    web.routes["/robots.txt"] = Page(b"oops", "text/plain", status=503)
    assert refusal(loopback_fetcher(), web.url("/a")) == "robots.txt unavailable (HTTP 503)"
    assert not web.hits("/a")


@pytest.mark.parametrize("per_host", [1, 2])
def test_at_most_per_host_requests_at_once(web, per_host):
    for n in range(6):
        web.routes[f"/p{n}"] = Page(ARTICLE, delay=0.15, together=per_host)
    fetcher = loopback_fetcher(per_host=per_host)
    fetcher.fetch(web.url("/a"))  # robots.txt (a 404 here: no rules) is read before the race
    threads = [threading.Thread(target=fetcher.fetch, args=(web.url(f"/p{n}"),)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(web.log) == 8 and web.most_in_flight == per_host


# The address policy: without allow_private no loopback, private or link-local target is fetched,
# whether named directly, through a name that resolves to one, or reached by a redirect.

def strict(**kwargs) -> Fetcher:
    return Fetcher(FetchSettings(delay=0.0, timeout=2.0), **kwargs)


def test_is_public():
    for public in ("93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"):
        assert is_public(ipaddress.ip_address(public)), public
    for private in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                    "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "::", "fe80::1", "fc00::1", "::ffff:10.0.0.1",
                    "::ffff:127.0.0.1", "2002:a00:1::"):
        assert not is_public(ipaddress.ip_address(private)), private


@pytest.mark.parametrize("target, shown", [
    ("http://127.0.0.1:{port}/a", "127.0.0.1"),
    ("http://localhost:{port}/a", "localhost"),  # the real resolver's answer is checked
    ("http://[::1]:{port}/a", "::1"),
    ("http://10.0.0.1/a", "10.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://0.0.0.0:{port}/a", "0.0.0.0"),
])
def test_private_targets_are_refused_without_allow_private(web, target, shown):
    message = refusal(strict(), target.format(port=web.port))
    assert message.startswith(f"refused: {shown} is ") and "not a public address" in message
    assert not web.log  # not even robots.txt was asked for


def test_other_schemes_are_refused():
    fetcher = strict()
    assert refusal(fetcher, "file:///etc/passwd") == "unsupported URL scheme 'file': only http and https"
    assert refusal(fetcher, "ftp://example.com/x") == "unsupported URL scheme 'ftp': only http and https"


def test_a_redirect_to_a_private_address_is_refused(web):
    """The only server here is loopback, so this test plays a public site on 127.0.0.1 (the rule is
    widened for that one address) and a public name, news.test, resolving to it; every other address
    keeps the real rule, and each hop's resolved addresses are checked, redirects included."""
    names = {"news.test": ["127.0.0.1"], "intranet.test": ["10.20.30.40"], "mixed.test": ["127.0.0.1", "192.168.0.9"]}
    fetcher = strict(resolver=lambda host, port: names.get(host) or [host.strip("[]")],
                     public=lambda a: a == LOOPBACK or is_public(a))
    site = f"http://news.test:{web.port}"
    assert fetcher.fetch(f"{site}/a").body == ARTICLE  # the played public site works
    for name, location, shown in [
        ("to-ip", "http://10.0.0.1/admin", "10.0.0.1"),
        ("to-link-local", "http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("to-name", f"http://intranet.test:{web.port}/a", "intranet.test"),
        ("to-loopback", f"http://127.0.0.2:{web.port}/a", "127.0.0.2"),
        ("to-v6", f"http://[::1]:{web.port}/a", "::1"),
        ("to-mixed", f"http://mixed.test:{web.port}/a", "mixed.test"),
    ]:
        web.routes[f"/{name}"] = Page(status=302, headers={"Location": location})
        assert refusal(fetcher, f"{site}/{name}").startswith(f"refused: {shown} is "), name
    assert [h.path for h in web.log] == ["/robots.txt", "/a"] + [f"/{n}" for n in
                                                                ("to-ip", "to-link-local", "to-name", "to-loopback",
                                                                 "to-v6", "to-mixed")]
