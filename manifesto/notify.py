"""The e-mails a signatory receives, written in their language and queued in the outbox.

Every message carries the link to the signatory's own page. Nothing here sends anything:
``outbox.enqueue`` adds a row to the current transaction.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from . import outbox
from .i18n import country_name
from .models import Signature, SignatoryKind


def _compose(kind: str, signature: Signature, language: str, subject_fn, **context) -> None:
    address = signature.signatory.contact_email
    if not address:
        return
    with force_locale(language):
        context.setdefault("manage_url", None)
        if context.get("manage_token"):
            context["manage_url"] = url_for(
                "sign.my_signature",
                lang_code=language,
                token=context.pop("manage_token"),
                _external=True,
            )
        body = render_template(
            f"email/{kind}.txt",
            signature=signature,
            signatory=signature.signatory,
            public_name=public_name(signature),
            country=country_name(signature.signatory.country, language),
            site_name=current_app.config["SITE_NAME"],
            contact_email=current_app.config["CONTACT_EMAIL"],
            **context,
        )
        subject = subject_fn()
    outbox.enqueue(
        kind=kind,
        to_address=address,
        subject=subject,
        body_text=body,
        language=language,
        signature_id=signature.id,
    )


def public_name(signature: Signature) -> str:
    who = signature.signatory
    if who.kind == SignatoryKind.ORGANISATION:
        return who.organisation_name or ""
    return who.city


def confirm(signature: Signature, confirm_token: str, manage_token: str, language: str) -> None:
    confirm_url = url_for("sign.confirm", lang_code=language, token=confirm_token, _external=True)
    _compose(
        "confirm",
        signature,
        language,
        lambda: _("Please confirm your signature of the Inclusive Smart Cities Manifesto"),
        confirm_url=confirm_url,
        manage_token=manage_token,
    )


def already_signed(signature: Signature, manage_token: str, language: str) -> None:
    _compose(
        "already_signed",
        signature,
        language,
        lambda: _("You have already signed the Inclusive Smart Cities Manifesto"),
        manage_token=manage_token,
    )


def verified(signature: Signature, manage_token: str) -> None:
    _compose(
        "verified",
        signature,
        signature.language,
        lambda: _("Your signature of the Manifesto has been verified"),
        manage_token=manage_token,
    )


def rejected(signature: Signature, reason: str) -> None:
    _compose(
        "rejected",
        signature,
        signature.language,
        lambda: _("Your signature of the Manifesto could not be verified"),
        reason=reason,
    )
