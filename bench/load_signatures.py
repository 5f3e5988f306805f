"""Load N synthetic signatures into the app's database, fast, for benchmarks.

    .venv/bin/python bench/load_signatures.py --count 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mydb .venv/bin/python bench/load_signatures.py -n 1000000

The database is the one the app would use: ``DATABASE_URL``, else the SQLite file in
``MANIFESTO_INSTANCE_PATH`` (default ``instance/``). Rows go in with SQLAlchemy Core bulk
INSERTs, one transaction per batch; the public counters are rebuilt at the end.

Every row it writes carries a ``submission_key`` starting with ``bench-``: ``--reset`` deletes
those rows (and their themes) and nothing else.
"""

from __future__ import annotations

import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

BENCH_PREFIX = "bench-"

# The campaign is European first: these come first, then the rest of the world.
PRIORITY_COUNTRIES = (
    "FR DE IT ES PT BE NL GB IE AT CH PL CZ SE DK FI NO GR RO HU BG HR SI SK LT LV EE LU MT CY "
    "UA RU RS BA AL MK ME MD GE AM TR IS BR US CA MX AR CL CO PE MA TN DZ SN CI CM IN JP KR ZA "
    "AU NZ"
).split()
LANGUAGE_WEIGHTS = {"en": 34, "fr": 18, "de": 14, "it": 10, "es": 11, "pt": 7, "ru": 6}
KIND_WEIGHTS = (("organisation", 70), ("mayor", 22), ("delegate", 8))
STATUS_WEIGHTS = (("pending", 22), ("confirmed", 43), ("verified", 30), ("withdrawn", 5))
ORG_TYPE_WEIGHTS = (
    ("ngo", 30), ("company", 25), ("public_authority", 15), ("university", 12),
    ("citizens_group", 12), ("other", 6),
)
THEMES = (
    "mobility", "energy", "digital_inclusion", "data_privacy", "participation",
    "public_services", "accessibility", "skills", "housing", "environment",
)
LISTED_SHARE = 0.6
FLAGGED_SHARE = 0.02
START = datetime(2023, 11, 21, tzinfo=UTC)
END = datetime(2026, 11, 20, tzinfo=UTC)

SYLLABLES = (
    "ba be bra ca co da de del dor e fa fe gra ha il ka ker la lo lu ma mar mo na no ny or "
    "pa pe po ra re ri ro sa se sel so ta te tor u va ve vi vo wa za zo berg burg heim "
    "stad ville vik dorf polis grad ov ino ello ana ia on"
).split()
ORG_FIRST = (
    "Association", "Fondation", "Verein", "Fundación", "Cooperativa", "Institute", "Centro",
    "Stiftung", "Collectif", "Network", "Agence", "Instituto", "Associazione", "Forum",
    "Union", "Alliance", "Laboratoire", "Rede", "Общество", "Фонд", "Citizens'", "Open",
)
ORG_TOPIC = (
    "Digital", "Energy", "Mobility", "Open Data", "Smart City", "Inclusion", "Numérique",
    "Energía", "Mobilität", "Participação", "Accessibilità", "Climate", "Housing",
    "Civic Tech", "Data", "Solidarité", "Bildung", "Transporte", "Цифровой", "Skills",
)
ORG_SUFFIX = ("", "", "", " Lab", " e.V.", " SA", " GmbH", " ASBL", " Ltd", " Srl", " Lda",
              " Foundation", " Hub", " Cooperative")
FIRST_NAMES = (
    "Anna Marie Jean Luca Sofia Pedro Ana Jan Eva Ivan Olga Marco Giulia Hans Clara Paul "
    "Léa Noah Emma Hugo Inès João Maria Pierre Sara Tomás Elena Dmitri Nina Karl Lucía"
).split()
LAST_NAMES = (
    "Martin Müller Rossi García Silva Dubois Schmidt Bianchi López Costa Novak Ivanova "
    "Petrov Moreau Fischer Romano Fernández Santos Janssen Nowak Horvat Kowalski Popescu "
    "Lefèvre Weber Ricci Martínez Oliveira Peeters Berg"
).split()
ROLES = ("Deputy Mayor", "Chief Digital Officer", "Head of Cabinet", "City Manager", "Councillor")


def _weighted(pairs):
    values, weights = zip(*pairs)
    return list(values), list(weights)


class Generator:
    """Deterministic (given a seed) synthetic signatories and signatures."""

    def __init__(self, seed: int, country_codes: list[str], versions: dict[str, tuple[int, str]],
                 privacy_version: str, run_tag: str, fold):
        self.rng = random.Random(seed)
        self.fold = fold
        self.versions = versions
        self.privacy_version = privacy_version
        self.run_tag = run_tag
        rest = [c for c in country_codes if c not in PRIORITY_COUNTRIES]
        self.rng.shuffle(rest)
        ordered = [c for c in PRIORITY_COUNTRIES if c in country_codes] + rest
        self.countries = ordered[:180]
        self.country_weights = [1 / (rank + 2) ** 1.05 for rank in range(len(self.countries))]
        self.languages, self.language_weights = _weighted(LANGUAGE_WEIGHTS.items())
        self.kinds, self.kind_weights = _weighted(KIND_WEIGHTS)
        self.statuses, self.status_weights = _weighted(STATUS_WEIGHTS)
        self.org_types, self.org_type_weights = _weighted(ORG_TYPE_WEIGHTS)
        # A pool of cities per country, so that many signatories share a city, as in life.
        self.cities = {c: [self._city_name() for _ in range(60)] for c in self.countries}
        self.span = (END - START).total_seconds()

    def _city_name(self) -> str:
        rng = self.rng
        parts = rng.choices(SYLLABLES, k=rng.randint(2, 3))
        name = "".join(parts).capitalize()
        if rng.random() < 0.12:
            name = rng.choice(("San ", "Saint-", "Bad ", "Nova ", "Porto ")) + name
        return name

    def batch(self, start_index: int, size: int, signatory_id: int, signature_id: int):
        """Rows for ``size`` signatures: (signatories, signatures, themes)."""
        rng = self.rng
        kinds = rng.choices(self.kinds, self.kind_weights, k=size)
        countries = rng.choices(self.countries, self.country_weights, k=size)
        languages = rng.choices(self.languages, self.language_weights, k=size)
        statuses = rng.choices(self.statuses, self.status_weights, k=size)
        signatories, signatures, themes = [], [], []
        for i in range(size):
            n = start_index + i
            kind, country, language, status = kinds[i], countries[i], languages[i], statuses[i]
            city = rng.choice(self.cities[country])
            created = START + timedelta(seconds=rng.random() * self.span)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contact = f"{first} {last}"
            email = f"{first.lower()}.{n}.{self.run_tag}@bench{n % 997}.example"
            org_name = org_type = website = mayor = delegate = role = mandate = None
            if kind == "organisation":
                org_name = (f"{rng.choice(ORG_FIRST)} {rng.choice(ORG_TOPIC)} {city}"
                            f"{rng.choice(ORG_SUFFIX)}")
                org_type = rng.choices(self.org_types, self.org_type_weights)[0]
                if rng.random() < 0.7:
                    website = f"https://www.org{n}.example"
                public_name = org_name
            else:
                mayor = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                if kind == "delegate":
                    delegate, role = contact, rng.choice(ROLES)
                    mandate = f"Decision of the municipal council no. {n % 500}/{created.year}"
                public_name = city
            listed = rng.random() < LISTED_SHARE
            flagged = status != "withdrawn" and rng.random() < FLAGGED_SHARE
            confirmed_at = verified_at = withdrawn_at = None
            if status != "pending":
                confirmed_at = created + timedelta(minutes=rng.uniform(2, 60 * 48))
            if status == "verified":
                verified_at = confirmed_at + timedelta(hours=rng.uniform(1, 24 * 20))
            if status == "withdrawn":
                withdrawn_at = confirmed_at + timedelta(days=rng.uniform(1, 90))
            counted = (status in ("confirmed", "verified") if kind == "organisation"
                       else status == "verified")
            public_since = None
            if counted and listed and not flagged:
                public_since = confirmed_at if kind == "organisation" else verified_at
            if status == "withdrawn":
                # As signing.withdraw leaves it: personal data erased, off the list, no themes.
                contact = email = website = mayor = delegate = role = mandate = None
                listed = False
            else:
                for theme in rng.sample(THEMES, rng.randint(1, 3)):
                    themes.append({"signatory_id": signatory_id + i, "theme": theme})
            version_id, sha = self.versions[language]
            signatories.append({
                "id": signatory_id + i,
                "kind": kind,
                "organisation_name": org_name,
                "organisation_type": org_type,
                "country": country,
                "city": city,
                "website": website,
                "mayor_name": mayor,
                "delegate_name": delegate,
                "delegate_role": role,
                "mandate": mandate,
                "contact_name": contact,
                "contact_email": email,
                "email_canonical": email,  # already lower-case, no +tag, not a dotless provider
                "name_folded": self.fold(public_name),
                "listed_publicly": listed,
                "created_at": created,
            })
            signatures.append({
                "id": signature_id + i,
                "signatory_id": signatory_id + i,
                "manifesto_version_id": version_id,
                "language": language,
                "text_sha256": sha,
                "status": status,
                "privacy_notice_version": self.privacy_version,
                "ambassador_city_id": None,
                "outreach_activity_id": None,
                "created_at": created,
                "confirmed_at": confirmed_at,
                "verified_at": verified_at,
                "verified_by_id": None,
                "rejected_at": None,
                "rejection_reason": None,
                "withdrawn_at": withdrawn_at,
                "submission_key": f"{BENCH_PREFIX}{self.run_tag}-{n}",
                "flagged": flagged,
                "flag_reasons": rng.choice(("too_fast", "ip_rate", "domain_rate")) if flagged else None,
                "signer_emails_sent": 1,
                "public_since": public_since,
            })
        return signatories, signatures, themes


def _fast_tables(db, models):
    """The model tables' columns with plain types: enums as strings, datetimes as the driver
    takes them. Row values are produced in database form already, so the per-value Python
    conversions of the ORM types (enum lookup, UTC check) can be skipped."""
    tables = {}
    for model in (models.Signatory, models.Signature, models.SignatoryTheme):
        src = model.__table__
        cols = []
        for col in src.columns:
            if isinstance(col.type, sa.Enum):
                typ = sa.String()
            elif isinstance(col.type, models.UTCDateTime):
                typ = sa.DateTime(timezone=True)
            else:
                typ = col.type
            cols.append(sa.column(col.name, typ))
        tables[src.name] = sa.table(src.name, *cols)
    return tables


def _delete_bench_rows(db, models, batch: int) -> int:
    Signature, Signatory, Theme = models.Signature, models.Signatory, models.SignatoryTheme
    with db.engine.connect() as conn:
        ids = conn.execute(
            sa.select(Signature.signatory_id, Signature.id).where(
                Signature.submission_key.like(BENCH_PREFIX + "%")
            )
        ).all()
    if not ids:
        click.echo("No bench rows to delete.")
        return 0
    with click.progressbar(length=len(ids), label="Deleting bench rows", show_pos=True) as bar:
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            who = [r[0] for r in chunk]
            sig = [r[1] for r in chunk]
            with db.engine.begin() as conn:
                conn.execute(sa.delete(models.SignatureToken).where(
                    models.SignatureToken.signature_id.in_(sig)))
                conn.execute(sa.delete(models.OutboxMessage).where(
                    models.OutboxMessage.signature_id.in_(sig)))
                conn.execute(sa.delete(Theme).where(Theme.signatory_id.in_(who)))
                conn.execute(sa.delete(Signature).where(Signature.id.in_(sig)))
                conn.execute(sa.delete(Signatory).where(Signatory.id.in_(who)))
            bar.update(len(chunk))
    return len(ids)


@click.command()
@click.option("-n", "--count", type=click.IntRange(0, 5_000_000), default=10_000, show_default=True,
              help="Signatures to add.")
@click.option("--batch", type=click.IntRange(100, 100_000), default=5_000, show_default=True,
              help="Rows per INSERT batch (one transaction each).")
@click.option("--reset", is_flag=True, help="First delete every row an earlier run loaded.")
@click.option("--seed", type=int, default=None, help="Random seed (default: random).")
@click.option("--upgrade/--no-upgrade", default=True, show_default=True,
              help="Create the schema (flask db upgrade) if it is missing.")
@click.option("--analyze/--no-analyze", default=None,
              help="ANALYZE the tables afterwards [default: yes on PostgreSQL, where autovacuum "
                   "would soon do it; no on SQLite, which never does it by itself].")
def main(count: int, batch: int, reset: bool, seed: int | None, upgrade: bool,
         analyze: bool | None) -> None:
    """Load COUNT synthetic signatures (signatory, signature, themes) for benchmarks.

    Mix: ~70% organisations, the rest mayors and delegates; 180 countries, weighted; the 7
    languages; pending, confirmed, verified and withdrawn; ~60% consent to the public list
    (public_since is set exactly when the signature counts, is listed and is not flagged).
    """
    from config import ConfigError

    try:
        from manifesto import create_app
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None

    from manifesto import models
    from manifesto.cli.errors import database_label
    from manifesto.core import campaign
    from manifesto.core.i18n import country_choices
    from manifesto.extensions import db
    from manifesto.signatures import texts
    from manifesto.signatures.counts import rebuild_signature_counts
    from manifesto.signatures.signing import fold

    with app.app_context():
        label = database_label()
        try:
            has_schema = sa.inspect(db.engine).has_table("signature")
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0]
            raise click.ClickException(f"cannot reach the database {label}: {reason}") from None
        if not has_schema:
            if not upgrade:
                raise click.ClickException(
                    "the database has no tables yet; run: flask --app wsgi db upgrade")
            from flask_migrate import upgrade as migrate_upgrade

            click.echo(f"No schema in {label}: running flask db upgrade")
            migrate_upgrade()
        if texts.ensure_shipped_version():
            click.echo("Published the shipped manifesto text as version 1.")
        db.session.commit()

        if reset:
            deleted = _delete_bench_rows(db, models, batch)
            if deleted:
                click.echo(f"Deleted {deleted} bench signatures.")

        dialect = db.engine.dialect.name
        versions = {}
        for language in app.config["LANGUAGES"]:
            version = texts.current_version(language)
            if version is None:
                raise click.ClickException(f"no manifesto text in {language}; publish one first")
            versions[language] = (version.id, version.sha256)
        tables = _fast_tables(db, models)
        signatory_t, signature_t, theme_t = (
            tables["signatory"], tables["signature"], tables["signatory_theme"])

        with db.engine.connect() as conn:
            next_signatory = (conn.scalar(sa.select(sa.func.max(models.Signatory.id))) or 0) + 1
            next_signature = (conn.scalar(sa.select(sa.func.max(models.Signature.id))) or 0) + 1
        gen = Generator(
            seed if seed is not None else secrets.randbits(32),
            [code for code, _ in country_choices("en")],
            versions,
            campaign.PRIVACY_NOTICE_VERSION,
            secrets.token_hex(4),
            fold,
        )

        started = time.perf_counter()
        rows = themes_total = 0
        if count:
            click.echo(f"Loading {count} signatures into {label} ({batch} per batch)")
            with click.progressbar(length=count, label="Signatures", show_pos=True,
                                   show_percent=True, show_eta=True) as bar:
                done = 0
                while done < count:
                    size = min(batch, count - done)
                    people, sigs, themes = gen.batch(done, size, next_signatory + done,
                                                     next_signature + done)
                    with db.engine.begin() as conn:
                        conn.execute(signatory_t.insert(), people)
                        conn.execute(signature_t.insert(), sigs)
                        if themes:
                            conn.execute(theme_t.insert(), themes)
                    done += size
                    rows += size
                    themes_total += len(themes)
                    bar.update(size)
            if dialect == "postgresql":
                # Explicit ids were inserted: move the sequences past them for the app's inserts.
                with db.engine.begin() as conn:
                    for table in ("signatory", "signature"):
                        conn.execute(sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"))
        load_seconds = time.perf_counter() - started

        t0 = time.perf_counter()
        counters = rebuild_signature_counts()
        db.session.commit()
        rebuild_seconds = time.perf_counter() - t0

        if analyze is None:
            analyze = dialect == "postgresql"
        analyze_seconds = 0.0
        if analyze and rows:
            t0 = time.perf_counter()
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
            analyze_seconds = time.perf_counter() - t0

        with db.engine.connect() as conn:
            total = conn.scalar(sa.select(sa.func.count()).select_from(models.Signature))
            public = conn.scalar(sa.select(sa.func.count()).select_from(models.Signature)
                                 .where(models.Signature.public_since.is_not(None)))

    if rows:
        click.echo(f"Inserted {rows} signatures + {rows} signatories + {themes_total} theme rows "
                   f"in {load_seconds:.1f} s ({rows / load_seconds:,.0f} signatures/s)")
    click.echo(f"Rebuilt {counters} counter rows in {rebuild_seconds:.1f} s"
               + (f"; ANALYZE {analyze_seconds:.1f} s" if analyze_seconds else ""))
    click.echo(f"The database now holds {total} signatures, {public} on the public list.")


if __name__ == "__main__":
    main()
