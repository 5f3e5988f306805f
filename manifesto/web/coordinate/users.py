"""Coordinators: the list of users, invitations by e-mail, deactivation and reactivation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import orm as so
from sqlalchemy.exc import IntegrityError

from manifesto.access import accounts, audit
from manifesto.core.i18n import LANGUAGE_NAMES
from manifesto.extensions import db
from manifesto.models import AmbassadorCity, Role, User, utcnow
from manifesto.web.coordinate import bp
from manifesto.web.coordinate.forms import InviteForm
from manifesto.web.forms import ButtonForm
from manifesto.web.security import coordinator_required


def _cities() -> list[AmbassadorCity]:
    return list(db.session.scalars(sa.select(AmbassadorCity).order_by(AmbassadorCity.name)))


def _users_page(form: InviteForm, status: int = 200):
    users = list(
        db.session.scalars(
            sa.select(User)
            .options(so.selectinload(User.ambassador_city))
            .order_by(sa.func.lower(User.name), User.id)
        )
    )
    return render_template(
        "coordinate/users.html",
        users=users,
        form=form,
        has_cities=bool(form.cities),
        link_expires=accounts.open_invitation_expiry(users),
        now=utcnow(),
        role_labels=accounts.ROLE_LABELS,
        language_names=LANGUAGE_NAMES,
        is_invited=accounts.is_invited,
    ), status


@bp.route("/users", methods=["GET", "POST"])
@coordinator_required
def users():
    form = InviteForm(cities=_cities())
    if form.validate_on_submit():
        try:
            user = accounts.invite(
                name=form.name.data,
                email=form.email.data,
                role=Role(form.role.data),
                city=form.chosen_city,
                locale=form.locale.data,
                invited_by=current_user,
            )
            audit.record(current_user, audit.INVITE, account=user.id, role=user.role.value)
            db.session.commit()
        except IntegrityError:  # the same address, invited by someone else a moment ago
            db.session.rollback()
            form.email.errors.append(
                _("There is already an account with this e-mail address: see the list of "
                  "users below.")
            )
        else:
            flash(_("Invitation sent to %(name)s (%(email)s). The link works for 7 days.",
                    name=user.name, email=user.email), "success")
            return redirect(url_for("coordinate.users"), code=303)
    return _users_page(form, 400 if form.errors else 200)


@bp.post("/users/<int:user_id>/resend-invitation")
@coordinator_required
def resend_invitation(user_id: int):
    user = db.get_or_404(User, user_id)
    if ButtonForm().validate_on_submit():
        if not user.active:
            flash(_("%(name)s's account is deactivated: reactivate it first.", name=user.name),
                  "error")
        elif not accounts.is_invited(user):
            flash(_("%(name)s has already chosen a password. If it is forgotten, they can ask "
                    "for a new one with \"Forgot your password?\" on the login page.",
                    name=user.name), "error")
        else:
            accounts.send_invitation(user, current_user)
            audit.record(current_user, audit.RESEND_INVITATION, account=user.id)
            db.session.commit()
            flash(_("A new invitation is on its way to %(email)s. Earlier links no longer "
                    "work.", email=user.email), "success")
    return redirect(url_for("coordinate.users"), code=303)


@bp.post("/users/<int:user_id>/deactivate")
@coordinator_required
def deactivate_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if ButtonForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account. Ask another coordinator."), "error")
        elif user.active:
            accounts.deactivate(user)
            audit.record(current_user, audit.DEACTIVATE, account=user.id)
            db.session.commit()
            flash(_("%(name)s's account is deactivated: they are logged out and cannot log in "
                    "any more.", name=user.name), "success")
    return redirect(url_for("coordinate.users"), code=303)


@bp.post("/users/<int:user_id>/reactivate")
@coordinator_required
def reactivate_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if ButtonForm().validate_on_submit() and not user.active:
        accounts.reactivate(user)
        audit.record(current_user, audit.REACTIVATE, account=user.id)
        db.session.commit()
        if accounts.is_invited(user):
            flash(_("%(name)s's account is active again. They have no password yet: send the "
                    "invitation again.", name=user.name), "success")
        else:
            flash(_("%(name)s's account is active again: they can log in with their password.",
                    name=user.name), "success")
    return redirect(url_for("coordinate.users"), code=303)
