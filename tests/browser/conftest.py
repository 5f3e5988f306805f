"""A real server on localhost with the demo data, and Debian's Chromium driven by Playwright.

Skipped, with the reason, where Chromium or Playwright is not installed
(``apt-get install chromium``; Playwright comes with the test dependencies).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from manifesto import create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
DEMO_PASSWORD = "browser-demo-password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server on localhost that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Mailbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    from tests.test_outbox import free_port

    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, mailbox):
    """The app the live server runs: its own SQLite file, the demo data, mail to ``mailbox``."""
    folder = tmp_path_factory.mktemp("live")
    env = pytest.MonkeyPatch()
    env.setenv("MANIFESTO_INSTANCE_PATH", str(folder))
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'live.sqlite3'}",
        WTF_CSRF_ENABLED=True,
        SIGN_MIN_SECONDS=0,  # Playwright fills a form faster than a person
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=mailbox.port,
    )
    yield app
    env.undo()


@pytest.fixture(scope="session")
def live_server(live_app):
    """The app served by Werkzeug in a thread."""
    app = live_app
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["demo", "--password", DEMO_PASSWORD]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # This machine has no network beyond localhost: keep Chromium from trying.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Refresh the README's pictures when asked to (MANIFESTO_SCREENSHOTS=1)."""
    if os.environ.get("MANIFESTO_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
