"""Fictional but plausible demo data, loaded by ``flask --app wsgi demo`` (idempotent).

Organisations and people are invented; city and country names are real places. Dates follow
the campaign's own calendar: launch in Brussels on 23 November 2016, interviews of candidate
cities in May–June 2017, targets for 2017 and 2019.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from manifesto.access.passwords import hash_password
from manifesto.cities import referrals
from manifesto.core.campaign import LAUNCH_DATE, PRIVACY_NOTICE_VERSION
from manifesto.core.emails import canonical_email
from manifesto.extensions import db
from manifesto.models import (
    ActivityType,
    AmbassadorCity,
    BestPractice,
    BestPracticeStatus,
    ConsentAction,
    ConsentMethod,
    ConsentRecord,
    ManifestoVersion,
    OrganisationType,
    OutreachActivity,
    PipelineEvent,
    PipelineStage,
    Role,
    Signatory,
    SignatoryKind,
    Signature,
    SignatureStatus,
    Target,
    TargetMetric,
    TargetScope,
    Theme,
    User,
)
from manifesto.signatures import texts
from manifesto.signatures.counts import is_counted, rebuild_signature_counts
from manifesto.signatures.signing import duplicate_key, fold

COORDINATOR_EMAIL = "coordinator@manifesto.example"
AMBASSADOR_EMAIL = "ambassador.lisbon@manifesto.example"

# name, country, stage, languages, countries it disseminates to
CITIES = [
    ("Lisbon", "PT", PipelineStage.AMBASSADOR, ["pt"], ["PT"]),
    ("Bologna", "IT", PipelineStage.AMBASSADOR, ["it"], ["IT"]),
    ("Lyon", "FR", PipelineStage.AMBASSADOR, ["fr"], ["FR", "BE"]),
    ("Vienna", "AT", PipelineStage.AMBASSADOR, ["de"], ["AT", "DE"]),
    ("Barcelona", "ES", PipelineStage.AMBASSADOR, ["es"], ["ES"]),
    ("Bristol", "GB", PipelineStage.AMBASSADOR, ["en"], ["GB", "IE"]),
    ("Tartu", "EE", PipelineStage.AMBASSADOR, ["ru", "en"], ["EE", "LV"]),
    ("Porto", "PT", PipelineStage.INTERVIEWED, ["pt"], ["PT"]),
    ("Leipzig", "DE", PipelineStage.INTERVIEWED, ["de"], ["DE"]),
    ("Zaragoza", "ES", PipelineStage.CANDIDATE, ["es"], ["ES"]),
    ("Grenoble", "FR", PipelineStage.CANDIDATE, ["fr"], ["FR"]),
    ("Manchester", "GB", PipelineStage.ALUMNI, ["en"], ["GB"]),
]

COMMITMENTS = {
    "Lisbon": "Lisbon will bring the Manifesto to the mayors of the Lisbon metropolitan area and "
    "share its participatory budgeting experience with Portuguese municipalities.",
    "Bologna": "Bologna will present the Manifesto in the network of Italian civic "
    "collaboration pacts and host an annual exchange on urban commons.",
    "Lyon": "Lyon will translate its co-design workshops into a toolkit for French-speaking "
    "cities and present the Manifesto to the mayors of the metropolis.",
    "Vienna": "Vienna will share its digital inclusion programme and carry the Manifesto to "
    "Austrian and German cities.",
    "Barcelona": "Barcelona will open its participation platform experience to Spanish cities "
    "and promote the Manifesto through the Spanish network of smart cities.",
    "Bristol": "Bristol will run webinars on co-creation with citizens for UK and Irish cities.",
    "Tartu": "Tartu will carry the Manifesto to Estonian and Latvian municipalities, in "
    "Estonian, Russian and English.",
    "Manchester": "Manchester shared its open data practice with UK cities in 2017–2018.",
}

# (country, language, cities) for signatories
REGIONS = [
    ("PT", "pt", ["Lisbon", "Porto", "Coimbra", "Braga", "Aveiro", "Évora", "Sintra", "Cascais"]),
    ("IT", "it", ["Bologna", "Turin", "Florence", "Padua", "Bari", "Trento", "Parma", "Genoa"]),
    ("FR", "fr", ["Lyon", "Nantes", "Lille", "Rennes", "Grenoble", "Bordeaux", "Montpellier"]),
    ("BE", "fr", ["Liège", "Namur", "Charleroi"]),
    ("DE", "de", ["Leipzig", "Freiburg", "Münster", "Dortmund", "Bremen", "Mannheim"]),
    ("AT", "de", ["Vienna", "Graz", "Linz", "Innsbruck"]),
    ("ES", "es", ["Barcelona", "Valencia", "Zaragoza", "Bilbao", "Seville", "Málaga", "Gijón"]),
    ("GB", "en", ["Bristol", "Manchester", "Glasgow", "Leeds", "Cardiff"]),
    ("IE", "en", ["Dublin", "Cork", "Galway"]),
    ("EE", "ru", ["Narva", "Tartu", "Tallinn"]),
    ("LV", "ru", ["Riga", "Daugavpils"]),
]

ORG_PATTERNS = {
    OrganisationType.PUBLIC_AUTHORITY: ["{city} Digital Services Agency", "{city} Energy Agency"],
    OrganisationType.COMPANY: ["{city} Urban Data Cooperative", "Civic Sensors {city}"],
    OrganisationType.NGO: ["{city} Digital Inclusion Network", "Friends of {city} Libraries"],
    OrganisationType.UNIVERSITY: ["{city} Institute for Urban Research", "{city} Living Lab"],
    OrganisationType.CITIZENS_GROUP: ["{city} Neighbourhood Forum", "{city} Cycling Citizens"],
    OrganisationType.OTHER: ["{city} Civic Tech Meetup"],
}

FIRST_NAMES = ["Ana", "Marco", "Claire", "Jonas", "Lucía", "Siobhan", "Irina", "Pedro", "Giulia",
               "Louis", "Katrin", "Javier", "Oliver", "Olga", "Inês", "Paolo", "Amélie", "Felix"]
LAST_NAMES = ["Silva", "Rossi", "Martin", "Huber", "García", "Walsh", "Ivanova", "Costa",
              "Bianchi", "Dubois", "Wagner", "López", "Evans", "Petrova", "Sousa", "Moreau"]
THEMES = ["mobility", "energy", "digital_inclusion", "data_privacy", "participation",
          "public_services", "housing", "environment"]

TARGETS = [
    (TargetMetric.MAYORS_SIGNED, 50, LAUNCH_DATE, date(2017, 12, 31), {
        "en": "50 mayors or delegates in the first year",
        "fr": "50 maires ou délégués la première année",
        "de": "50 Bürgermeisterinnen, Bürgermeister oder Beauftragte im ersten Jahr",
        "it": "50 sindaci o delegati nel primo anno",
        "pt": "50 presidentes de câmara ou delegados no primeiro ano",
        "ru": "50 мэров или их представителей в первый год",
        "es": "50 alcaldes o delegados el primer año",
    }),
    (TargetMetric.MAYORS_SIGNED, 150, LAUNCH_DATE, date(2019, 12, 31), {
        "en": "150 mayors or delegates within three years",
        "fr": "150 maires ou délégués en trois ans",
        "de": "150 Bürgermeisterinnen, Bürgermeister oder Beauftragte in drei Jahren",
        "it": "150 sindaci o delegati in tre anni",
        "pt": "150 presidentes de câmara ou delegados em três anos",
        "ru": "150 мэров или их представителей за три года",
        "es": "150 alcaldes o delegados en tres años",
    }),
    (TargetMetric.ORGANISATIONS_SIGNED, 150, LAUNCH_DATE, date(2019, 12, 31), {
        "en": "150 organisations",
        "fr": "150 organisations",
        "de": "150 Organisationen",
        "it": "150 organizzazioni",
        "pt": "150 organizações",
        "ru": "150 организаций",
        "es": "150 organizaciones",
    }),
    (TargetMetric.AMBASSADOR_CITIES, 10, LAUNCH_DATE, date(2017, 12, 31), {
        "en": "10 Ambassador Cities",
        "fr": "10 villes ambassadrices",
        "de": "10 Botschafterstädte",
        "it": "10 città ambasciatrici",
        "pt": "10 cidades embaixadoras",
        "ru": "10 городов-послов",
        "es": "10 ciudades embajadoras",
    }),
]


@dataclass
class DemoSummary:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)

    def add(self, what: str, created: bool) -> None:
        (self.created if created else self.existing)[what] += 1


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _get_or_create(model, summary: DemoSummary, what: str, where: dict, /, **values):
    obj = db.session.scalar(sa.select(model).filter_by(**where))
    if obj is not None:
        summary.add(what, False)
        return obj, False
    obj = model(**where, **values)
    db.session.add(obj)
    db.session.flush()
    summary.add(what, True)
    return obj, True


def steps(password: str) -> list[tuple[str, Callable[[DemoSummary], None]]]:
    """The loading steps in order, so the CLI can show progress through them."""
    return [
        ("manifesto", lambda s: _manifesto(s)),
        ("ambassador cities", lambda s: _cities(s)),
        ("accounts", lambda s: _accounts(s, password)),
        ("outreach activities", lambda s: _activities(s)),
        ("signatures", lambda s: _signatures(s)),
        ("targets", lambda s: _targets(s)),
        ("pipeline history", lambda s: _pipeline_history(s)),
        ("city targets", lambda s: _city_targets(s)),
        ("best practices", lambda s: _practices(s)),
        ("counters", lambda s: rebuild_signature_counts()),
    ]


def load(password: str) -> DemoSummary:
    summary = DemoSummary()
    for _, step in steps(password):
        step(summary)
    db.session.commit()
    return summary


def _manifesto(summary: DemoSummary) -> None:
    created = texts.ensure_shipped_version()
    if created:
        # Version 1 is the text launched in Brussels.
        db.session.execute(
            sa.update(ManifestoVersion)
            .where(ManifestoVersion.number == 1)
            .values(published_at=_at(LAUNCH_DATE, 9))
        )
    summary.add("manifesto versions", created)


def _cities(summary: DemoSummary) -> None:
    for index, (name, country, stage, languages, countries) in enumerate(CITIES):
        interviewed = stage != PipelineStage.CANDIDATE
        committed = stage in (PipelineStage.AMBASSADOR, PipelineStage.ALUMNI)
        _get_or_create(
            AmbassadorCity, summary, "ambassador cities",
            {"name": name, "country": country},
            stage=stage,
            interview_date=date(2017, 5, 8) + timedelta(days=4 * index) if interviewed else None,
            interviewer="Demo Coordinator" if interviewed else None,
            interview_notes="Strong political support; a team of three for outreach." if interviewed else None,
            commitment_date=date(2017, 7, 3) + timedelta(days=index) if committed else None,
            commitment_statement=COMMITMENTS.get(name) if committed else None,
            languages=languages,
            countries=countries,
            referral_code=f"demo-{name.lower()}",
            created_at=_at(date(2017, 4, 1)),
        )


def _accounts(summary: DemoSummary, password: str) -> None:
    lisbon = db.session.scalar(sa.select(AmbassadorCity).filter_by(name="Lisbon", country="PT"))
    for email, name, role, city in [
        (COORDINATOR_EMAIL, "Demo Coordinator", Role.COORDINATOR, None),
        (AMBASSADOR_EMAIL, "Demo Ambassador (Lisbon)", Role.AMBASSADOR, lisbon),
    ]:
        user, created = _get_or_create(
            User, summary, "accounts", {"email": email},
            name=name, role=role, ambassador_city=city, locale="en", active=True,
        )
        # Running the command again resets the demo password to the one given.
        user.password_hash = hash_password(password)
        user.active = True
        if created:
            user.consents.append(ConsentRecord(
                action=ConsentAction.GIVEN, method=ConsentMethod.PASSWORD_FORM,
                notice_language="en", notice_version=int(PRIVACY_NOTICE_VERSION)))


def _activities(summary: DemoSummary) -> None:
    cities = {c.name: c for c in db.session.scalars(sa.select(AmbassadorCity))}
    rows = list(_activity_rows(cities))
    codes = iter(referrals.new_codes(len(rows)))  # (one each, used if the row is new)
    for city_name, day, kind, title, language, reached, mayors, orgs in rows:
        city = cities[city_name]
        _get_or_create(
            OutreachActivity, summary, "outreach activities",
            {"ambassador_city_id": city.id, "date": day, "title": title},
            type=kind, language=language, audience_reached=reached,
            mayors_engaged=mayors, organisations_engaged=orgs,
            description=f"{title} — organised by {city.name}.",
            referral_code=next(codes), created_at=_at(day, 18),
        )


def _activity_rows(cities) -> Iterator[tuple]:
    # In-depth interviews with every city that reached the interview stage.
    for city in cities.values():
        if city.interview_date:
            yield (city.name, city.interview_date, ActivityType.INTERVIEW,
                   f"In-depth interview with {city.name}", "en", 6, 1, 0)
    # The sister toolkit's series: 18 webinars in 6 weeks, run from Bristol.
    start = date(2017, 9, 4)
    for n in range(18):
        day = start + timedelta(days=(n // 3) * 7 + (n % 3) * 2)
        yield ("Bristol", day, ActivityType.WEBINAR, f"Co-creation webinar {n + 1} of 18",
               "en", 25 + (n * 7) % 30, n % 2, 2 + n % 4)
    yield ("Bristol", date(2017, 6, 20), ActivityType.WORKSHOP,
           "Two-day workshop in London: 23 people from 7 cities and 8 countries", "en", 23, 3, 7)
    per_city = {
        "Lisbon": ("pt", "Apresentação do Manifesto à Área Metropolitana de Lisboa"),
        "Bologna": ("it", "Il Manifesto al forum dei patti di collaborazione"),
        "Lyon": ("fr", "Atelier de co-conception avec la Métropole de Lyon"),
        "Vienna": ("de", "Digitale Inklusion: Austausch mit österreichischen Städten"),
        "Barcelona": ("es", "Jornada sobre presupuestos participativos"),
        "Tartu": ("ru", "Презентация Манифеста для муниципалитетов Эстонии"),
        "Manchester": ("en", "Open data breakfast for Greater Manchester"),
    }
    for index, (city, (language, title)) in enumerate(per_city.items()):
        base = date(2017, 10, 2) + timedelta(days=11 * index)
        yield (city, base, ActivityType.EVENT, title, language, 80 + 15 * index, 4, 9)
        yield (city, base + timedelta(days=30), ActivityType.MAYOR_MEETING,
               f"Meeting with mayors ({city})", language, 12, 5, 0)
        yield (city, base + timedelta(days=45), ActivityType.MEDIA,
               f"Interview in the regional press ({city})", language, 5000, 0, 0)
        yield (city, base + timedelta(days=60), ActivityType.NEWSLETTER,
               f"Newsletter to partner organisations ({city})", language, 1200, 0, 14)


def _signatures(summary: DemoSummary) -> None:
    versions = {v.language: v for v in db.session.scalars(
        sa.select(ManifestoVersion).where(ManifestoVersion.number == 1))}
    cities = {c.name: c for c in db.session.scalars(
        sa.select(AmbassadorCity).where(AmbassadorCity.stage == PipelineStage.AMBASSADOR))}
    activities = {}
    for activity in db.session.scalars(sa.select(OutreachActivity)):
        activities.setdefault(activity.ambassador_city_id, []).append(activity)

    n = 0
    for country, language, city_names in REGIONS:
        for city_name in city_names:
            n += 1
            kinds = [SignatoryKind.ORGANISATION, SignatoryKind.ORGANISATION]
            kinds.append(SignatoryKind.MAYOR if n % 3 else SignatoryKind.DELEGATE)
            for k, kind in enumerate(kinds):
                # Seeded per signatory: the same data on every run, machine and re-run.
                _one_signature(summary, random.Random(n * 10 + k), n * 10 + k, kind, country, language, city_name,
                               versions[language], cities, activities)


def _one_signature(summary, rng, seq, kind, country, language, city_name, version, cities,
                   activities) -> None:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    contact_email = f"{first.lower()}.{last.lower()}.{seq}@signatory.example"
    org_type = rng.choice(list(OrganisationType)) if kind == SignatoryKind.ORGANISATION else None
    organisation_name = (
        rng.choice(ORG_PATTERNS[org_type]).format(city=city_name) if org_type else None
    )
    where = {"email_canonical": canonical_email(contact_email), "kind": kind, "city": city_name}
    if db.session.scalar(sa.select(Signatory.id).filter_by(**where)) is not None:
        summary.add("signatures", False)
        return
    mayor_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    signatory = Signatory(
        **where,
        organisation_name=organisation_name,
        organisation_type=org_type,
        country=country,
        website=f"https://{city_name.lower()}.signatory.example/" if org_type else None,
        mayor_name=mayor_name if kind != SignatoryKind.ORGANISATION else None,
        delegate_name=f"{first} {last}" if kind == SignatoryKind.DELEGATE else None,
        delegate_role="Deputy Mayor for Digital Affairs" if kind == SignatoryKind.DELEGATE else None,
        mandate="Delegation decree of the mayor, published in the municipal gazette."
        if kind == SignatoryKind.DELEGATE else None,
        contact_name=f"{first} {last}",
        contact_email=contact_email,
        themes=rng.sample(THEMES, 2),
        listed_publicly=rng.random() < 0.8,
    )
    signed_on = LAUNCH_DATE + timedelta(days=rng.randint(0, 3 * 365))
    signed_at = _at(signed_on, rng.randint(8, 20))
    roll = rng.random()
    if kind == SignatoryKind.ORGANISATION:
        status = (SignatureStatus.CONFIRMED if roll < 0.8 else SignatureStatus.PENDING
                  if roll < 0.9 else SignatureStatus.WITHDRAWN)
    else:
        status = (SignatureStatus.VERIFIED if roll < 0.7 else SignatureStatus.CONFIRMED
                  if roll < 0.85 else SignatureStatus.PENDING if roll < 0.95
                  else SignatureStatus.REJECTED)
    city = cities.get(city_name) or next(
        (c for c in cities.values() if country in c.countries), None)
    activity = rng.choice(activities.get(city.id, [None])) if city and rng.random() < 0.6 else None
    signature = Signature(
        signatory=signatory,
        manifesto_version=version,
        language=language,
        text_sha256=version.sha256,
        status=status,
        privacy_notice_version=PRIVACY_NOTICE_VERSION,
        ambassador_city=city if activity else None,
        outreach_activity=activity,
        created_at=signed_at,
        confirmed_at=signed_at + timedelta(hours=1) if status != SignatureStatus.PENDING else None,
        verified_at=signed_at + timedelta(days=3) if status == SignatureStatus.VERIFIED else None,
        rejected_at=signed_at + timedelta(days=3) if status == SignatureStatus.REJECTED else None,
        withdrawn_at=signed_at + timedelta(days=90) if status == SignatureStatus.WITHDRAWN else None,
    )
    signature.consents.append(ConsentRecord(
        action=ConsentAction.GIVEN, method=ConsentMethod.SIGN_FORM, notice_language=language,
        notice_version=int(PRIVACY_NOTICE_VERSION), at=signed_at))
    signatory.name_folded = fold(organisation_name or city_name)
    if status in (SignatureStatus.PENDING, SignatureStatus.CONFIRMED, SignatureStatus.VERIFIED):
        # Held by the same unique index as a signature made through the form.
        signature.duplicate_key = duplicate_key(
            kind, country, signatory.name_folded, canonical_email(contact_email))
    if listed_publicly_after(signature, signatory):
        signature.public_since = signature.verified_at or signature.confirmed_at
    db.session.add_all([signatory, signature])
    summary.add("signatures", True)


def listed_publicly_after(signature: Signature, signatory: Signatory) -> bool:
    return signatory.listed_publicly and is_counted(signatory.kind, signature.status)


def _targets(summary: DemoSummary) -> None:
    for metric, value, start, deadline, titles in TARGETS:
        _get_or_create(
            Target, summary, "targets",
            {"metric": metric, "scope": TargetScope.ALL, "value": value, "deadline": deadline},
            start_date=start, titles=titles, published=True,
        )


def _city(name: str) -> AmbassadorCity:
    return db.session.scalar(sa.select(AmbassadorCity).filter_by(name=name))


def _pipeline_history(summary: DemoSummary) -> None:
    """Each city's moves through the pipeline, as the coordinators made them."""
    coordinator = db.session.scalar(sa.select(User).filter_by(email=COORDINATOR_EMAIL))
    order = [PipelineStage.CANDIDATE, PipelineStage.INTERVIEWED, PipelineStage.AMBASSADOR,
             PipelineStage.ALUMNI]
    for city in db.session.scalars(sa.select(AmbassadorCity).order_by(AmbassadorCity.id)):
        if city.referral_code != f"demo-{city.name.lower()}":
            continue  # a city added by hand, not by the demo
        days = {
            PipelineStage.CANDIDATE: date(2017, 4, 1),
            PipelineStage.INTERVIEWED: city.interview_date,
            PipelineStage.AMBASSADOR: city.commitment_date,
            PipelineStage.ALUMNI: date(2018, 12, 14),
        }
        previous = None
        for stage in order[: order.index(city.stage) + 1]:
            _get_or_create(
                PipelineEvent, summary, "pipeline moves",
                {"ambassador_city_id": city.id, "to_stage": stage},
                from_stage=previous, by_user_id=coordinator.id,
                at=_at(days[stage] or date(2017, 4, 1), 11),
            )
            previous = stage


# Lisbon's own targets, so the demo ambassador's page shows progress and each status.
CITY_TARGETS = [
    ("Lisbon", TargetMetric.MAYORS_SIGNED, 10, date(2017, 7, 3), date(2018, 7, 3)),
    ("Lisbon", TargetMetric.ACTIVITIES, 5, date(2017, 7, 3), date(2018, 7, 3)),
    ("Lisbon", TargetMetric.PEOPLE_REACHED, 5000, date(2017, 7, 3), date(2018, 7, 3)),
]


def _city_targets(summary: DemoSummary) -> None:
    for name, metric, value, start, deadline in CITY_TARGETS:
        _get_or_create(
            Target, summary, "city targets",
            {"metric": metric, "scope": TargetScope.AMBASSADOR_CITY,
             "scope_ambassador_city_id": _city(name).id, "deadline": deadline},
            value=value, start_date=start, titles={}, published=False,
        )


# (city, theme, language, title, summary, published)
PRACTICES = [
    ("Lisbon", Theme.PARTICIPATION, "pt",
     "Orçamento participativo explicado aos municípios vizinhos",
     "Uma sessão de meio dia em que técnicos de Lisboa mostram, passo a passo, como "
     "organizam o orçamento participativo: calendário, regras de votação e o que correu mal "
     "no primeiro ano. Três municípios assinaram o Manifesto no mês seguinte.", True),
    ("Bristol", Theme.DIGITAL_INCLUSION, "en",
     "Eighteen short webinars instead of one conference",
     "Forty-five minutes each, three a week for six weeks, recorded and captioned. Officers "
     "who could never travel to a conference joined from their desks, and the recordings "
     "kept bringing signatures months later.", True),
    ("Lyon", Theme.PUBLIC_SERVICES, "fr",
     "Une boîte à outils de co-conception pour les petites communes",
     "Nous avons réduit nos ateliers de co-conception à six fiches imprimables, avec un "
     "exemple rempli pour chacune. Les communes de moins de 10 000 habitants les utilisent "
     "sans animateur extérieur.", True),
    ("Vienna", Theme.DIGITAL_INCLUSION, "de",
     "Digitale Sprechstunden in Stadtteilbibliotheken",
     "Jeden Dienstag helfen Freiwillige in drei Bibliotheken bei Online-Formularen der Stadt. "
     "Wir haben das Format mit Partnerstädten geteilt und das Manifest bei jeder Sprechstunde "
     "ausgelegt.", True),
    ("Bologna", Theme.PARTICIPATION, "it",
     "Patti di collaborazione: il modello in due pagine",
     "Abbiamo riassunto il regolamento dei patti di collaborazione in un modello di due "
     "pagine che ogni comune può adattare. Lo presentiamo insieme al Manifesto.", True),
    ("Tartu", Theme.DATA_PRIVACY, "ru",
     "Открытые данные на трёх языках",
     "Мы публикуем наборы открытых данных города с описаниями на эстонском, русском и "
     "английском языках. Соседние муниципалитеты переняли шаблон описаний.", True),
    ("Barcelona", Theme.ACCESSIBILITY, "es",
     "Mapas de accesibilidad hechos con los vecinos",
     "Paseos de una hora en los que vecinos con movilidad reducida marcan en un mapa los "
     "obstáculos de su barrio. Los datos se publican y el ayuntamiento responde en un mes.",
     False),
]


def _practices(summary: DemoSummary) -> None:
    coordinator = db.session.scalar(sa.select(User).filter_by(email=COORDINATOR_EMAIL))
    for index, (name, theme, language, title, text, published) in enumerate(PRACTICES):
        city = _city(name)
        written = _at(date(2018, 1, 15) + timedelta(days=9 * index), 14)
        _get_or_create(
            BestPractice, summary, "best practices",
            {"ambassador_city_id": city.id, "title": title},
            summary=text, theme=theme, language=language, created_at=written,
            status=BestPracticeStatus.PUBLISHED if published else BestPracticeStatus.SUBMITTED,
            published_at=written + timedelta(days=2) if published else None,
            published_by_id=coordinator.id if published else None,
        )
