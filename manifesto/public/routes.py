"""Public pages: home, the Manifesto text, about, privacy notice, accessibility statement."""

from __future__ import annotations

from flask import abort, render_template

from .. import texts
from ..campaign import (
    ACCESSIBILITY_STATEMENT_DATE,
    LAUNCH_DATE,
    PRIVACY_NOTICE_DATE,
    PRIVACY_NOTICE_VERSION,
)
from ..counts import counts_by_country, public_counts
from ..i18n import current_language
from . import bp

@bp.get("/")
def home():
    return render_template(
        "public/home.html",
        counts=public_counts(),
        by_country=counts_by_country(),
        launch_date=LAUNCH_DATE,
    )


@bp.get("/manifesto")
def manifesto():
    version = texts.current_version(current_language())
    if version is None:
        abort(404)
    return _render_manifesto(version, is_current=True)


@bp.get("/manifesto/v<int:number>")
def manifesto_version(number: int):
    version = texts.version(current_language(), number)
    if version is None:
        abort(404)
    current = texts.current_version(current_language())
    return _render_manifesto(version, is_current=current is not None and current.id == version.id)


def _render_manifesto(version, is_current: bool):
    return render_template(
        "public/manifesto.html",
        version=version,
        body=texts.render(version.body),
        is_current=is_current,
    )


@bp.get("/about")
def about():
    return render_template("public/about.html", launch_date=LAUNCH_DATE)


@bp.get("/privacy")
def privacy():
    return render_template(
        "public/privacy.html",
        notice_version=PRIVACY_NOTICE_VERSION,
        notice_date=PRIVACY_NOTICE_DATE,
    )


@bp.get("/accessibility")
def accessibility():
    return render_template("public/accessibility.html", statement_date=ACCESSIBILITY_STATEMENT_DATE)
