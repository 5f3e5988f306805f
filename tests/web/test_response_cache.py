"""The app's own few seconds of shared caching (manifesto/web/response_cache.py): the answers every
visitor without a cookie gets alike are rendered once per window; anything personal, private,
conditional, streamed or failed goes to the app every time."""

from __future__ import annotations

import pytest
from flask import Flask, Response

from manifesto.web.response_cache import PublicResponseCache, freshness
from tests.support import factories
from tests.support.auth import AuthActions


@pytest.fixture
def cached_app(make_app):
    return make_app(RESPONSE_CACHE_SECONDS=5)


@pytest.fixture
def home_renders(monkeypatch):
    """How many times the home page was really rendered."""
    from manifesto.web.public import routes

    calls = []
    real = routes.public_counts

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(routes, "public_counts", counting)
    return calls


def test_anonymous_pages_are_rendered_once_per_window(cached_app, home_renders):
    factories.manifesto()
    client = cached_app.test_client(use_cookies=False)
    first = client.get("/en/")
    second = client.get("/en/")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert len(home_renders) == 1
    assert first.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"
    assert "Age" in second.headers and "Set-Cookie" not in second.headers
    # Another language is another page.
    assert client.get("/fr/").status_code == 200
    assert len(home_renders) == 2


def test_a_signed_in_coordinator_gets_their_own_page(cached_app, home_renders):
    factories.manifesto()
    factories.user(email="coord@example.org")
    anonymous = cached_app.test_client(use_cookies=False)
    anonymous.get("/en/")
    coordinator = cached_app.test_client()
    response = AuthActions(coordinator).login("coord@example.org")
    assert response.status_code in (302, 303)
    page = coordinator.get("/en/")
    assert page.headers["Cache-Control"] == "private, no-store"  # nothing a proxy may share
    assert "Age" not in page.headers
    assert 'action="/en/logout"' in page.get_data(as_text=True)  # their own navigation
    assert len(home_renders) == 2


def test_api_answers_and_conditional_requests(cached_app):
    client = cached_app.test_client(use_cookies=False)
    first = client.get("/api/v1/counts")
    again = client.get("/api/v1/counts")
    assert again.headers.get("Age") is not None
    assert again.get_json() == first.get_json()
    # A conditional request reaches the app, which answers 304 from the ETag.
    revalidated = client.get("/api/v1/counts", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304
    assert "Age" not in revalidated.headers


def test_private_and_failed_answers_are_never_kept(cached_app):
    client = cached_app.test_client(use_cookies=False)
    for path in ("/en/login", "/api/v1/signatories?page=0", "/en/no-such-page", "/healthz"):
        client.get(path)
        assert "Age" not in client.get(path).headers, path


def _inner(calls: list, **response_kwargs):
    inner = Flask("inner")

    @inner.get("/x")
    def x():
        calls.append(1)
        return Response(f"answer {len(calls)}", **response_kwargs)

    return inner


@pytest.mark.parametrize("headers, kept", [
    ({"Cache-Control": "public, max-age=60"}, True),
    ({"Cache-Control": "public, max-age=0, s-maxage=5"}, True),
    ({"Cache-Control": "public, max-age=0"}, False),
    ({"Cache-Control": "private, max-age=60"}, False),
    ({"Cache-Control": "public, no-store"}, False),
    ({}, False),
    ({"Cache-Control": "public, max-age=60", "Set-Cookie": "a=b"}, False),
    ({"Cache-Control": "public, max-age=60", "Vary": "Accept-Language"}, False),
    ({"Cache-Control": "public, max-age=60", "Vary": "Cookie"}, True),
    ({"Cache-Control": "public, max-age=60", "Vary": "Cookie, Accept-Encoding"}, False),
])
def test_what_the_middleware_keeps(headers, kept):
    calls: list = []
    inner = _inner(calls, headers=headers)
    inner.wsgi_app = PublicResponseCache(inner.wsgi_app, seconds=5)
    client = inner.test_client(use_cookies=False)
    assert client.get("/x").data == b"answer 1"
    assert client.get("/x").data == (b"answer 1" if kept else b"answer 2")
    # A request with a cookie, or anything but GET, always reaches the app.
    assert client.get("/x", headers={"Cookie": "session=s"}).data.startswith(b"answer")
    assert len(calls) == (2 if kept else 3)


def test_the_window_is_the_shorter_of_the_two(monkeypatch):
    calls: list = []
    inner = _inner(calls, headers={"Cache-Control": "public, max-age=60"})
    cache = PublicResponseCache(inner.wsgi_app, seconds=5)
    inner.wsgi_app = cache
    clock = [1000.0]
    monkeypatch.setattr("cachelib.simple.time", lambda: clock[0])
    client = inner.test_client(use_cookies=False)
    client.get("/x")
    clock[0] += 4
    assert client.get("/x").data == b"answer 1"
    clock[0] += 2  # six seconds: past the app's five, well within the response's sixty
    assert client.get("/x").data == b"answer 2"


def test_streamed_and_large_answers_go_through(make_app):
    calls: list = []
    inner = Flask("inner")

    @inner.get("/stream")
    def stream():
        calls.append(1)
        return Response((b"x" for _ in range(3)), headers={"Cache-Control": "public, max-age=60"})

    @inner.get("/large")
    def large():
        calls.append(1)
        return Response(b"x" * 2048, headers={"Cache-Control": "public, max-age=60"})

    inner.wsgi_app = PublicResponseCache(inner.wsgi_app, seconds=5, max_bytes=1024)
    client = inner.test_client(use_cookies=False)
    for path in ("/stream", "/stream", "/large", "/large"):
        assert client.get(path).status_code == 200
    assert len(calls) == 4


def test_freshness():
    assert freshness("public, max-age=60, stale-while-revalidate=300") == 60
    assert freshness("public, max-age=0, s-maxage=5") == 5
    assert freshness("max-age=60") is None
    assert freshness("public, no-cache, max-age=60") is None
