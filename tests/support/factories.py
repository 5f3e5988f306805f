"""Small builders for test data, with sensible defaults a test overrides as it needs."""

from __future__ import annotations

from itertools import count

from manifesto.access.passwords import hash_password
from manifesto.core.campaign import PRIVACY_NOTICE_VERSION
from manifesto.core.emails import canonical_email
from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    ManifestoVersion,
    PipelineEvent,
    PipelineStage,
    Role,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    User,
)
from manifesto.signatures import texts

_seq = count(1)
PASSWORD = "correct horse battery staple"


def user(role: Role = Role.COORDINATOR, password: str = PASSWORD, **values) -> User:
    n = next(_seq)
    values.setdefault("email", f"user{n}@example.org")
    values.setdefault("name", f"User {n}")
    obj = User(role=role, password_hash=hash_password(password), **values)
    db.session.add(obj)
    db.session.commit()
    return obj


def manifesto() -> dict[str, ManifestoVersion]:
    texts.ensure_shipped_version()
    db.session.commit()
    return {lang: texts.current_version(lang) for lang in texts.shipped_texts()}


def ambassador_city(**values) -> AmbassadorCity:
    n = next(_seq)
    values.setdefault("name", f"City {n}")
    values.setdefault("country", "PT")
    values.setdefault("referral_code", f"ref-{n}")
    obj = AmbassadorCity(**values)
    db.session.add(obj)
    if obj.stage == PipelineStage.AMBASSADOR:
        # As the pipeline would have logged it: a target of ambassador cities counts the moves.
        db.session.flush()
        db.session.add(PipelineEvent(ambassador_city_id=obj.id, from_stage=None,
                                     to_stage=PipelineStage.AMBASSADOR))
    db.session.commit()
    return obj


def signature(
    kind: SignatoryKind = SignatoryKind.ORGANISATION,
    status: SignatureStatus = SignatureStatus.CONFIRMED,
    country: str = "FR",
    language: str = "en",
) -> Signature:
    n = next(_seq)
    version = texts.current_version(language) or manifesto()[language]
    email = f"contact{n}@example.org"
    signatory = Signatory(
        kind=kind,
        organisation_name=f"Organisation {n}" if kind == SignatoryKind.ORGANISATION else None,
        country=country,
        city=f"Town {n}",
        mayor_name=None if kind == SignatoryKind.ORGANISATION else f"Mayor {n}",
        contact_name=f"Contact {n}",
        contact_email=email,
        email_canonical=canonical_email(email),
    )
    obj = Signature(
        signatory=signatory,
        manifesto_version=version,
        language=language,
        text_sha256=version.sha256,
        status=status,
        privacy_notice_version=PRIVACY_NOTICE_VERSION,
    )
    db.session.add_all([signatory, obj])
    db.session.commit()
    return obj
