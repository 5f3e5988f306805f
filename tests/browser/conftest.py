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
import sqlalchemy as sa
from werkzeug.serving import make_server

from config import TestingConfig
from manifesto import create_app
from tests.support.network import free_port

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

    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="session")
def live_database(tmp_path_factory):
    """A SQLite file; or, when the suite runs on PostgreSQL (``DATABASE_URL``), a database of
    its own next to the suite's, created for the run and dropped afterwards."""
    from tests.support.database import database_of_its_own

    with database_of_its_own(tmp_path_factory.mktemp("db"), "live") as url:
        yield url


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, mailbox, live_database):
    """The app the live server runs: its own database, the demo data, mail to ``mailbox``."""
    folder = tmp_path_factory.mktemp("live")
    port = free_port()
    env = pytest.MonkeyPatch()
    env.setenv("MANIFESTO_INSTANCE_PATH", str(folder))
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=live_database,
        SITE_URL=f"http://127.0.0.1:{port}",  # the links in e-mails lead to the live server
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
    url = app.config["SITE_URL"]
    server = make_server("127.0.0.1", int(url.rsplit(":", 1)[1]), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=5)
    from manifesto.extensions import db

    with app.app_context():
        db.engine.dispose()  # before the database is dropped


@pytest.fixture(scope="session")
def demo_ids(live_app, live_server):
    """Ids and secret links on the demo data: the Lisbon ambassador's own records, a pending
    signature's confirmation link, a confirmed one's own page, a withdrawn one's, an invitation and a reset."""
    from manifesto.access import accounts
    from manifesto.demo import AMBASSADOR_EMAIL
    from manifesto.extensions import db
    from manifesto.models import (
        BestPractice,
        OutreachActivity,
        Role,
        Signature,
        SignatureStatus,
        Target,
        TokenPurpose,
        User,
        UserTokenPurpose,
    )
    from manifesto.signatures import signing

    with live_app.app_context():
        lisbon = db.session.scalar(sa.select(User).filter_by(email=AMBASSADOR_EMAIL))
        city_id = lisbon.ambassador_city_id

        def first(model, *where):
            return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id))

        def signature(status):
            return first(Signature, Signature.status == status)

        def account(email, purpose):
            user = db.session.scalar(sa.select(User).filter_by(email=email)) or User(
                email=email, name="Link Check", role=Role.AMBASSADOR, locale="en", active=True,
                ambassador_city_id=city_id)
            db.session.add(user)
            db.session.flush()
            return accounts.issue_token(user, purpose)

        def withdrawn_link():
            """The own link of a signature withdrawn (made so: the demo's counts stay)."""
            from manifesto.models import utcnow
            from tests.support import factories

            gone = factories.signature(status=SignatureStatus.WITHDRAWN)
            gone.withdrawn_at = utcnow()
            gone.signatory.contact_email = gone.signatory.email_canonical = None
            db.session.flush()
            return signing.new_token(gone.id, TokenPurpose.MANAGE)

        values = {
            "number": 1,
            "city_id": city_id,
            "target_id": first(Target, Target.scope_ambassador_city_id == city_id),
            "activity_id": first(OutreachActivity, OutreachActivity.ambassador_city_id == city_id),
            "practice_id": first(BestPractice, BestPractice.ambassador_city_id == city_id),
        }
        tokens = {
            "confirm": signing.new_token(signature(SignatureStatus.PENDING), TokenPurpose.CONFIRM),
            "manage": signing.new_token(signature(SignatureStatus.CONFIRMED), TokenPurpose.MANAGE),
            "invite": account("axe.invited@manifesto.example", UserTokenPurpose.INVITE),
            "reset": account("axe.reset@manifesto.example", UserTokenPurpose.RESET),
            "withdrawn": withdrawn_link(),
            "unknown": "this-link-was-never-sent",
        }
        db.session.commit()
    assert all(values.values()), values
    return values, tokens


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


def screenshot(page, name: str, full_page: bool = True) -> None:
    """Refresh the README's pictures when asked to (MANIFESTO_SCREENSHOTS=1)."""
    if os.environ.get("MANIFESTO_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
