"""No personal data in the logs: a filter on every handler masks e-mail addresses, internet
addresses and the secret part of signature and account links, whatever wrote the line
(the app, Werkzeug's request log, a library's exception message)."""

from __future__ import annotations

import logging
import re

from manifesto.core.emails import mask_email

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
# Hex groups and colons; an address has "::" or seven colons (a time of day has neither).
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f]*(?![\w:])")
# /confirm/<token>, /signature/<token>[/…], /set-password/<token>, /reset/<token>
_LINK = re.compile(r"(/(?:confirm|signature|set-password|reset|password)/)(?!withdrawn\b)[\w-]{16,}")


# The machine's own addresses (loopback, "any") identify nobody: "Running on 127.0.0.1:5000".
_MACHINE_V4 = ("127.", "0.0.0.0")


def scrub(text: str, links: bool = True) -> str:
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    if links:
        text = _LINK.sub(r"\1***", text)
    text = _IPV4.sub(lambda m: m.group(0) if m.group(0).startswith(_MACHINE_V4) else "*.*.*.*",
                     text)
    return _IPV6.sub(lambda m: "*:*" if ("::" in m.group(0) or m.group(0).count(":") >= 7)
                     and m.group(0) not in ("::1", "::") else m.group(0), text)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # Development without a mail server logs the links of the messages it writes to
        # files, on purpose (production refuses to start without a mail server).
        scrubbed = scrub(message, links=not getattr(record, "keep_link", False))
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def install() -> None:
    """Put the filter on the handlers that exist and on the loggers that write requests."""
    scrubber = PersonalDataFilter()
    for name in (None, "manifesto", "werkzeug", "gunicorn.error", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
            logger.addFilter(scrubber)
        for handler in logger.handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(scrubber)
