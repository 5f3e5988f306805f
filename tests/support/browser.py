"""Logging in and out in a real browser (a Playwright page on the live server), and reading
what the page flashed: the browser tests' counterpart of ``tests.support.auth``."""

from __future__ import annotations


def log_in(page, live_server: str, lang: str, email: str, password: str) -> None:
    """Fill in the login form and press Enter, as a person does."""
    page.goto(f"{live_server}/{lang}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_load_state()


def log_out(page) -> None:
    """Press the header's "Log out" button."""
    page.locator("form[action$='/logout'] button").click()


def flash(page) -> str:
    """The first message the page flashed."""
    return page.locator(".flash").first.inner_text()
