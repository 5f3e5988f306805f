"""What people read for the domain's codes: kinds, types, themes, statuses (translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import OrganisationType, SignatoryKind, SignatureStatus, Theme

KIND_LABELS = {
    SignatoryKind.ORGANISATION: _l("An organisation"),
    SignatoryKind.MAYOR: _l("A mayor, for their city"),
    SignatoryKind.DELEGATE: _l("A delegate, signing for a mayor"),
}
ORGANISATION_TYPE_LABELS = {
    OrganisationType.PUBLIC_AUTHORITY: _l("Public authority"),
    OrganisationType.COMPANY: _l("Company"),
    OrganisationType.NGO: _l("NGO or civil society"),
    OrganisationType.UNIVERSITY: _l("University or research"),
    OrganisationType.CITIZENS_GROUP: _l("Citizens' group"),
    OrganisationType.OTHER: _l("Other"),
}
THEME_LABELS = {
    Theme.MOBILITY: _l("Mobility"),
    Theme.ENERGY: _l("Energy"),
    Theme.DIGITAL_INCLUSION: _l("Digital inclusion"),
    Theme.DATA_PRIVACY: _l("Data and privacy"),
    Theme.PARTICIPATION: _l("Participation and participatory budgeting"),
    Theme.PUBLIC_SERVICES: _l("Public services"),
    Theme.ACCESSIBILITY: _l("Accessibility"),
    Theme.SKILLS: _l("Digital skills and education"),
    Theme.HOUSING: _l("Housing"),
    Theme.ENVIRONMENT: _l("Environment and climate"),
}
STATUS_LABELS = {
    SignatureStatus.PENDING: _l("Waiting for e-mail confirmation"),
    SignatureStatus.CONFIRMED: _l("Confirmed"),
    SignatureStatus.VERIFIED: _l("Confirmed and verified"),
    SignatureStatus.REJECTED: _l("Not accepted"),
    SignatureStatus.WITHDRAWN: _l("Withdrawn"),
}
# Short names for the public list and its filter.
KIND_SHORT_LABELS = {
    SignatoryKind.ORGANISATION: _l("Organisation"),
    SignatoryKind.MAYOR: _l("Mayor"),
    SignatoryKind.DELEGATE: _l("Mayor (signed by a delegate)"),
}


def context() -> dict:
    return {
        "kind_labels": KIND_LABELS,
        "kind_short_labels": KIND_SHORT_LABELS,
        "organisation_type_labels": ORGANISATION_TYPE_LABELS,
        "theme_labels": THEME_LABELS,
        "status_labels": STATUS_LABELS,
    }
