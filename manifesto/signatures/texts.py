"""The Manifesto's text: versions per language, the hash that binds a signature, rendering."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from markdown_it import MarkdownIt
from markupsafe import Markup

from manifesto.extensions import db
from manifesto.models import ManifestoVersion, User

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content" / "manifesto"


def normalise_text(body: str) -> str:
    """One canonical form (LF line ends, one final newline), so the hash is reproducible."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def text_sha256(body: str) -> str:
    return hashlib.sha256(normalise_text(body).encode("utf-8")).hexdigest()


def split_title(body: str) -> tuple[str, str]:
    """The text's ``# Title`` line and the rest."""
    first, _, rest = normalise_text(body).partition("\n")
    if first.startswith("# "):
        return first[2:].strip(), rest.lstrip("\n")
    return "", normalise_text(body)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Raw HTML is off: a published text can never carry markup or script into the page.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render(body: str) -> Markup:
    _, rest = split_title(body)
    return Markup(_markdown().render(rest))


def shipped_texts(number: int = 1) -> dict[str, str]:
    folder = CONTENT_DIR / f"v{number}"
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.md"))}


def publish_version(texts: dict[str, str], published_by: User | None = None) -> int:
    """Publish one new version in every language given; returns its number."""
    latest = db.session.scalar(sa.select(sa.func.max(ManifestoVersion.number))) or 0
    number = latest + 1
    for language, body in sorted(texts.items()):
        body = normalise_text(body)
        title, _ = split_title(body)
        db.session.add(
            ManifestoVersion(
                number=number,
                language=language,
                title=title,
                body=body,
                sha256=text_sha256(body),
                published_by_id=published_by.id if published_by else None,
            )
        )
    db.session.flush()
    current_app.extensions.pop(_CURRENT_NUMBERS, None)
    return number


def ensure_shipped_version() -> bool:
    """Publish the text shipped with the app as version 1 if nothing is published yet."""
    if db.session.scalar(sa.select(ManifestoVersion.id).limit(1)) is not None:
        return False
    publish_version(shipped_texts(1))
    return True


def current_version(language: str) -> ManifestoVersion | None:
    return db.session.scalar(
        sa.select(ManifestoVersion)
        .where(ManifestoVersion.language == language)
        .order_by(ManifestoVersion.number.desc())
        .limit(1)
    )


# What the sign form needs of a version. Published versions never change, so these are kept
# per app; the current number is re-read after at most CURRENT_NUMBER_TTL seconds (at once in
# the process that publishes), and the form says which version it signs, so a page shown in
# between is still honest about what is signed.
CURRENT_NUMBER_TTL = 2.0
_CURRENT_NUMBERS = "manifesto_current_version_numbers"
_VERSION_REFS = "manifesto_version_refs"


@dataclass(frozen=True)
class VersionRef:
    id: int
    number: int
    language: str
    sha256: str
    published_at: datetime


def current_version_number(language: str) -> int | None:
    numbers = current_app.extensions.setdefault(_CURRENT_NUMBERS, {})
    now = time.monotonic()
    cached = numbers.get(language)
    if cached is not None and cached[1] > now:
        return cached[0]
    number = db.session.scalar(
        sa.select(sa.func.max(ManifestoVersion.number)).where(ManifestoVersion.language == language)
    )
    if number is not None:
        numbers[language] = (number, now + CURRENT_NUMBER_TTL)
    return number


def signable_version(language: str, number: int | None = None) -> VersionRef | None:
    """Version ``number`` in ``language`` if it exists, else the current one."""
    refs = current_app.extensions.setdefault(_VERSION_REFS, {})
    if number and (language, number) in refs:
        return refs[(language, number)]
    row = (version(language, number) if number else None) or current_version(language)
    if row is None:
        return None
    ref = VersionRef(row.id, row.number, row.language, row.sha256, row.published_at)
    refs[(language, row.number)] = ref
    return ref


def version(language: str, number: int) -> ManifestoVersion | None:
    return db.session.scalar(
        sa.select(ManifestoVersion).where(
            ManifestoVersion.language == language, ManifestoVersion.number == number
        )
    )
