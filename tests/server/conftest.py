"""A real server for the tests that in-process clients cannot prove: gunicorn with several
workers and threads, configured as production (SITE_URL, SECRET_KEY, trusted hosts), on its own
database: a SQLite file, or, in the PostgreSQL pass (``DATABASE_URL``), a database of its own
created for the run and dropped afterwards.

The fixtures:
- ``server``: the running server (``server.url``), started once per run with the demo data;
  ``server.flask(...)`` runs a CLI command against the same database (for example
  ``counts reconcile --check``); ``server.app`` is an in-process app on that database for
  setting up and reading rows (never for the requests under test);
- ``http``: an httpx client for the server that keeps cookies and knows CSRF tokens;
- ``burst(n, fn)``: runs ``fn(i)`` in n threads released at the same instant.

Mail is not sent (no outbox worker runs): each e-mail the app decided to send is a row of
``outbox_message``, which is what "one e-mail per event" is counted on.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.network import free_port

httpx = pytest.importorskip("httpx", reason="httpx is not installed (./scripts/test installs it)")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN = BIN / "gunicorn"
FLASK = BIN / "flask"
DEMO_PASSWORD = "server-demo-password"
WORKERS = 3
THREADS = 4

if not GUNICORN.exists():
    pytest.skip(f"no gunicorn at {GUNICORN}", allow_module_level=True)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Client(httpx.Client):
    """httpx with the server's address as base, cookies kept, and form helpers."""

    def form(self, page: str, data: dict | None = None, to: str | None = None, **kwargs):
        """GET ``page``, then POST ``data`` with that page's CSRF token to ``to`` (or ``page``)."""
        got = self.get(page)
        assert got.status_code == 200, (page, got.status_code)
        return self.post(to or page, data={"csrf_token": csrf_token(got.text), **(data or {})},
                         **kwargs)

    def login(self, email: str, password: str = DEMO_PASSWORD, lang: str = "en"):
        response = self.form(f"/{lang}/login", {"email": email, "password": password})
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response


class Server:
    def __init__(self, url: str, database_url: str, env: dict[str, str], app):
        self.url = url
        self.database_url = database_url
        self.env = env
        self.app = app
        self.host = url.split("://", 1)[1]

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(FLASK), "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=300)
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def client(self, **kwargs) -> Client:
        kwargs.setdefault("timeout", 30)
        return Client(base_url=self.url, follow_redirects=False, **kwargs)

    def reconcile_check(self) -> str:
        """``counts reconcile --check`` against the server's database: it must find nothing."""
        result = self.flask("counts", "reconcile", "--check", check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout


@pytest.fixture(scope="session")
def server_database(tmp_path_factory):
    from tests.support.database import database_of_its_own

    with database_of_its_own(tmp_path_factory.mktemp("server-db"), "server") as url:
        yield url


@pytest.fixture(scope="session")
def server(tmp_path_factory, server_database):
    instance = tmp_path_factory.mktemp("server-instance")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "MANIFESTO_"))}
    env.update(
        MANIFESTO_CONFIG="production",
        MANIFESTO_INSTANCE_PATH=str(instance),
        DATABASE_URL=server_database,
        SECRET_KEY=secrets.token_hex(32),
        SITE_URL=url,
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback
        HSTS_SECONDS="0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(free_port()),  # nobody listens: mail stays in the outbox, to be counted
        OUTBOX_DELIVER_AFTER_REQUEST="0",
        SIGN_MIN_SECONDS="0",  # a test fills a form faster than a person
        RESPONSE_CACHE_SECONDS="0",  # tests read their own writes at once
        # One proxy in front, as in production: a test may say which client it is with
        # X-Forwarded-For (without it, every request comes from 127.0.0.1).
        PROXY_FIX_HOPS="1",
        PYTHONUNBUFFERED="1",
    )
    log = instance / "gunicorn.log"
    probe = Server(url, server_database, env, None)
    probe.flask("db", "upgrade")
    probe.flask("demo", "--password", DEMO_PASSWORD)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", str(WORKERS), "--threads", str(THREADS),
             "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
             "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        from config import TestingConfig
        from manifesto import create_app

        os.environ["MANIFESTO_INSTANCE_PATH"] = str(instance)
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=server_database, SITE_URL=url,
                         RESPONSE_CACHE_SECONDS=0)
        yield Server(url, server_database, env, app)
        from manifesto.extensions import db

        with app.app_context():
            db.engine.dispose()  # before the database is dropped
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        text = log.read_text(errors="replace")
        # A traceback in the server's log is a failure whatever the answers said.
        assert "Traceback" not in text, text[-5000:]
        shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture
def http(server):
    with server.client() as client:
        yield client


@pytest.fixture
def burst() -> Callable:
    """``burst(n, fn)`` calls ``fn(i)`` for i in range(n) in n threads that wait on one barrier,
    so the requests leave together; returns the results in order (an exception is re-raised)."""

    def _burst(n: int, fn: Callable[[int], object]) -> list:
        barrier = threading.Barrier(n)
        results: list = [None] * n
        errors: list[BaseException] = []

        def run(i: int) -> None:
            try:
                barrier.wait(timeout=30)
                results[i] = fn(i)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if errors:
            raise errors[0]
        return results

    return _burst
