"""The outbox: e-mails are written to a table in the same transaction as the change that
caused them, and sent later by a worker, never inside a request.

``enqueue`` is what the rest of the app calls. Delivery (SMTP or ``.eml`` files), retries and
the ``flask --app wsgi outbox …`` commands live below it.
"""

from __future__ import annotations

import uuid

from flask import current_app, g, has_request_context

from .extensions import db
from .models import OutboxMessage


def _message_domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or ""
    domain = sender.rpartition("@")[2].strip(" >")
    return domain or "manifesto.invalid"


def enqueue(
    *,
    kind: str,
    to_address: str,
    subject: str,
    body_text: str,
    language: str,
    signature_id: int | None = None,
) -> OutboxMessage:
    """Add one message to the outbox in the current transaction (the caller commits)."""
    message = OutboxMessage(
        kind=kind,
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        language=language,
        signature_id=signature_id,
        message_id=f"<{uuid.uuid4().hex}@{_message_domain()}>",
    )
    db.session.add(message)
    if has_request_context():
        g.outbox_enqueued = True
    return message
