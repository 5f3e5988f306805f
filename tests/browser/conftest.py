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
def live_server(tmp_path_factory):
    """The app served by Werkzeug in a thread, on its own SQLite file with the demo data."""
    folder = tmp_path_factory.mktemp("live")
    env = pytest.MonkeyPatch()
    env.setenv("MANIFESTO_INSTANCE_PATH", str(folder))
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'live.sqlite3'}",
        WTF_CSRF_ENABLED=True,
    )
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
    env.undo()


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
