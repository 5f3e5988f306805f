"""Log in and out, the user's own account page, and setting a password from a secret link
(an invitation or a reset). The rules live in ``manifesto.access.accounts``."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, flash, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from manifesto.access import accounts
from manifesto.core.i18n import LANGUAGE_NAMES, current_language
from manifesto.extensions import db
from manifesto.models import User
from manifesto.personal_data import privacy
from manifesto.web.auth import bp
from manifesto.web.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    ResetRequestForm,
    SetPasswordForm,
)
from manifesto.web.forms import ButtonForm
from manifesto.web.headers import SECRET_LINK
from manifesto.web.security import requesting_client


@bp.after_request
def private_pages(response: Response) -> Response:
    """Password forms and secret links (an invitation, a reset)."""
    response.headers.update(SECRET_LINK)
    return response


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # a line break would split the Location header
    return target


def _wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Too many attempts to log in. For the safety of the account, wait %(num)d minute, "
        "then try again.",
        "Too many attempts to log in. For the safety of the account, wait %(num)d minutes, "
        "then try again.",
        minutes,
    )


def _start_session(user: User) -> None:
    """Log in for this browser; the session ends after SESSION_IDLE_MINUTES without a visit.

    The session starts empty: nothing a visitor had before (or an attacker planted: session
    fixation) carries over, and the CSRF secret is a new one, so a form token seen before the
    login is worth nothing after it."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's token for this request, made from the old secret
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(accounts.home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.attempt_login(form.email.data, form.password.data,
                                        requesting_client())
        if result.wait_seconds:
            response = Response(
                render_template("auth/login.html", form=form,
                                problem=_wait_message(result.wait_seconds)),
                status=429,
            )
            response.headers["Retry-After"] = str(result.wait_seconds)
            return response
        user = result.user
        if user is not None:
            db.session.commit()
            _start_session(user)
            with force_locale(user.locale):
                flash(_("You are logged in as %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")) or accounts.home_url(user))
        # One message for every failure: it does not tell whether the account exists.
        form.password.errors.append(_("The e-mail address or the password is not right."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = ButtonForm()
    if form.validate_on_submit():
        # Every copy of the session cookie ends, not only this browser's: one taken before
        # the logout would otherwise keep working, and renew itself, for as long as it is used.
        accounts.end_sessions(current_user._get_current_object())
        db.session.commit()
        session.clear()
        logout_user()
        flash(_("You are logged out."), "success")
    return redirect(url_for("public.home"))


# --- The user's own account -------------------------------------------------------------------


def _account_page(language_form=None, password_form=None, status: int = 200):
    if language_form is None:
        language_form = LanguageForm(formdata=None, locale=current_user.locale)
    if password_form is None:
        password_form = ChangePasswordForm(formdata=None)
    return render_template(
        "auth/account.html",
        user=current_user,
        role_label=accounts.ROLE_LABELS[current_user.role],
        language_form=language_form,
        password_form=password_form,
        min_password_length=accounts.MIN_PASSWORD_LENGTH,
    ), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/language")
@login_required
def account_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        return _account_page(language_form=form, status=400)
    user = current_user._get_current_object()
    user.locale = form.locale.data
    db.session.commit()
    with force_locale(user.locale):
        flash(_("Your language is now %(language)s: for these pages and for the e-mails we "
                "send you.", language=LANGUAGE_NAMES[user.locale]), "success")
    return redirect(url_for("auth.account", lang_code=user.locale), code=303)


@bp.post("/account/password")
@login_required
def account_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    form.password_owner = user
    valid = form.validate_on_submit()
    status = 400
    if form.current_password.data and not form.current_password.errors:
        checked = accounts.check_current_password(user, form.current_password.data,
                                                  requesting_client())
        if checked.wait_seconds:
            form.current_password.errors.append(_wait_message(checked.wait_seconds))
            valid, status = False, 429
        elif checked.user is None:
            form.current_password.errors.append(_("This is not your current password."))
            valid = False
    if not valid:
        return _account_page(password_form=form, status=status)
    accounts.set_password(user, form.password.data)
    db.session.commit()
    _start_session(user)  # the new session id: this browser stays logged in, others end
    flash(_("Your password is changed. Anyone logged in with the old one on another device "
            "has been logged out."), "success")
    return redirect(url_for("auth.account"), code=303)


# --- Forgotten password -----------------------------------------------------------------------


@bp.route("/account/reset", methods=["GET", "POST"])
def reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data, requesting_client())
        db.session.commit()
        session["reset_sent_to"] = form.email.data
        return redirect(url_for("auth.reset_sent"), code=303)
    return render_template("auth/reset.html", form=form), (400 if form.errors else 200)


@bp.get("/account/reset/sent")
def reset_sent():
    return render_template(
        "auth/reset_sent.html",
        address=session.get("reset_sent_to"),
        valid_for_minutes=int(accounts.RESET_VALID_FOR.total_seconds() // 60),
    )


# --- Setting a password from a secret link --------------------------------------------------


def _link_problem(problem: accounts.LinkProblem):
    status = 404 if problem == accounts.LinkProblem.UNKNOWN else 410
    return render_template(
        "auth/link_problem.html", problem=problem.value, form=ResetRequestForm(formdata=None)
    ), status


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    found, problem = accounts.check_token(token)
    if problem is not None:
        return _link_problem(problem)
    user = found.user
    # A first password, whichever link it comes from (an invitation, or "Forgot your
    # password?" before the invitation was used), asks for consent to the privacy notice.
    first_password = accounts.is_invited(user)
    form = AcceptInvitationForm() if first_password else SetPasswordForm()
    form.password_owner = user
    notice_version = None
    if first_password:  # the notice it links to: the one in force, or the one shown before
        language = current_language()
        notice_version = (privacy.shown_version(language, form.shown_notice_version())
                          if request.method == "POST" else privacy.current_version(language))
        form.privacy_notice_version.data = str(notice_version)
    if form.validate_on_submit():
        if not privacy.choose_password_from_link(found, form.password.data, current_language(),
                                                 notice_version):
            db.session.rollback()
            return _link_problem(accounts.LinkProblem.USED)
        db.session.commit()
        _start_session(user)
        with force_locale(user.locale):
            flash(_("Your password is saved and you are logged in. Welcome, %(name)s!",
                    name=user.name), "success")
        return redirect(accounts.home_url(user), code=303)
    return render_template(
        "auth/set_password.html",
        form=form,
        user=user,
        invitation=first_password,
        notice_version=notice_version,
        min_password_length=accounts.MIN_PASSWORD_LENGTH,
    ), (400 if form.errors else 200)
