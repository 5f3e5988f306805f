"""What people read for the domain's codes: kinds, types, themes, statuses (translated)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from manifesto.models import (
    ActivityType,
    BestPracticeStatus,
    OrganisationType,
    PipelineStage,
    SignatoryKind,
    SignatureStatus,
    TargetMetric,
    TargetScope,
    TargetStatus,
    Theme,
)

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

ACTIVITY_TYPE_LABELS = {
    ActivityType.INTERVIEW: _l("In-depth interview"),
    ActivityType.EVENT: _l("Event"),
    ActivityType.WORKSHOP: _l("Workshop"),
    ActivityType.WEBINAR: _l("Webinar"),
    ActivityType.MAYOR_MEETING: _l("Meeting with a mayor"),
    ActivityType.MEDIA: _l("Media or press"),
    ActivityType.NEWSLETTER: _l("Newsletter or social media"),
    ActivityType.TRANSLATION: _l("Translation of the Manifesto"),
    ActivityType.OTHER: _l("Other"),
}
PIPELINE_STAGE_LABELS = {
    PipelineStage.CANDIDATE: _l("Candidate"),
    PipelineStage.INTERVIEWED: _l("Interviewed"),
    PipelineStage.AMBASSADOR: _l("Ambassador city"),
    PipelineStage.ALUMNI: _l("Alumni"),
}
BEST_PRACTICE_STATUS_LABELS = {
    BestPracticeStatus.SUBMITTED: _l("Waiting for a coordinator"),
    BestPracticeStatus.PUBLISHED: _l("Published"),
}

TARGET_METRIC_LABELS = {
    TargetMetric.MAYORS_SIGNED: _l("Mayors signed (verified)"),
    TargetMetric.ORGANISATIONS_SIGNED: _l("Organisations signed"),
    TargetMetric.ALL_SIGNATURES: _l("All signatures"),
    TargetMetric.AMBASSADOR_CITIES: _l("Ambassador cities"),
    TargetMetric.ACTIVITIES: _l("Outreach activities"),
    TargetMetric.PEOPLE_REACHED: _l("People reached"),
    TargetMetric.MAYORS_ENGAGED: _l("Mayors engaged"),
}


TARGET_STATUS_LABELS = {
    TargetStatus.ACHIEVED: _l("Achieved"),
    TargetStatus.ON_TRACK: _l("On track"),
    TargetStatus.BEHIND: _l("Behind"),
    TargetStatus.MET: _l("Met"),
    TargetStatus.MISSED: _l("Missed"),
}

TARGET_SCOPE_LABELS = {
    TargetScope.ALL: _l("The whole campaign"),
    TargetScope.COUNTRY: _l("One country"),
    TargetScope.AMBASSADOR_CITY: _l("One ambassador city"),
}


def context() -> dict:
    return {
        "kind_labels": KIND_LABELS,
        "kind_short_labels": KIND_SHORT_LABELS,
        "organisation_type_labels": ORGANISATION_TYPE_LABELS,
        "theme_labels": THEME_LABELS,
        "status_labels": STATUS_LABELS,
        "activity_type_labels": ACTIVITY_TYPE_LABELS,
        "pipeline_stage_labels": PIPELINE_STAGE_LABELS,
        "best_practice_status_labels": BEST_PRACTICE_STATUS_LABELS,
        "target_metric_labels": TARGET_METRIC_LABELS,
        "target_scope_labels": TARGET_SCOPE_LABELS,
        "target_status_labels": TARGET_STATUS_LABELS,
    }
