"""Log in and out. Account hardening (throttling, invitations, resets) builds on this."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..models import User, utcnow
from ..passwords import hash_password, needs_rehash, verify_password
from . import bp
from .forms import LoginForm, LogoutForm

# Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH: dict[str, str] = {}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is None:
            if "hash" not in _DUMMY_HASH:
                _DUMMY_HASH["hash"] = hash_password("not-a-real-password")
            verify_password(_DUMMY_HASH["hash"], form.password.data)
        elif verify_password(user.password_hash, form.password.data) and user.active:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("You are logged in as %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("public.home"))
        # One message for every failure: it does not tell whether the account exists.
        form.password.errors.append(_("The e-mail address or the password is not right."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("public.home"))
