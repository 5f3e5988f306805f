"""The data layer: SQLite settings, and migrations that build exactly what the models say."""

from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from manifesto.extensions import db
from manifesto.models import OutreachActivity, Target, TargetMetric
from tests.support.database import ON_POSTGRES


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite connection settings")
def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite connection settings")
def test_sqlite_runs_optimize_when_a_connection_goes_back_to_the_pool(app):
    connection = db.engine.connect()
    statements = []
    connection.connection.dbapi_connection.set_trace_callback(statements.append)
    connection.close()
    assert "PRAGMA optimize" in statements


def test_another_engine_in_the_process_keeps_sqlites_own_settings(app, tmp_path):
    """The app's connection settings are its own: a library's or a script's SQLite engine in
    the same process is left as SQLite makes it."""
    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    try:
        connection = other.connect()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        statements = []
        connection.connection.dbapi_connection.set_trace_callback(statements.append)
        connection.close()
        assert "PRAGMA optimize" not in statements
    finally:
        other.dispose()


def test_flask_db_upgrade_builds_the_schema_the_models_describe(make_app):
    """A model change without its migration fails here."""
    app = make_app(tables=False)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_to_an_empty_database(make_app):
    app = make_app(tables=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_foreign_keys_are_enforced(app):
    db.session.add(OutreachActivity(ambassador_city_id=999, date=date(2017, 1, 1),
                                    type="webinar", title="Orphan", language="en",
                                    referral_code="orphan"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("value, start, deadline", [(0, "2017-01-01", "2017-12-31"),
                                                     (-5, "2017-01-01", "2017-12-31"),
                                                     (50, "2017-12-31", "2017-01-01")])
def test_database_refuses_impossible_targets(app, value, start, deadline):

    db.session.add(Target(metric=TargetMetric.MAYORS_SIGNED, value=value,
                          start_date=date.fromisoformat(start),
                          deadline=date.fromisoformat(deadline)))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_duplicate_key_migration_keeps_the_earliest_of_existing_duplicates(make_app):
    """0008 on a live database that already holds duplicates (from simultaneous clicks): the
    earliest standing signature keeps the key, the others stay as they were, without one."""
    from datetime import UTC, datetime

    from manifesto.models import SignatoryKind
    from manifesto.signatures import signing

    app = make_app(tables=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0007_privacy"]).exit_code == 0
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        tables = sa.MetaData()
        tables.reflect(conn, only=["manifesto_version", "signatory", "signature"])
        version, signatory, signature = (tables.tables[name] for name in
                                         ("manifesto_version", "signatory", "signature"))
        version_id = conn.execute(sa.insert(version).values(
            number=1, language="en", title="M", body="Text", sha256="0" * 64,
            published_at=now)).inserted_primary_key[0]

        def signed(email, status, kind="organisation"):
            who = conn.execute(sa.insert(signatory).values(
                kind=kind, organisation_name="Cidade Aberta" if kind == "organisation" else None,
                country="PT", city="Lisboa", contact_email=email, email_canonical=email,
                name_folded="cidade aberta" if kind == "organisation" else "lisboa",
                listed_publicly=False, created_at=now)).inserted_primary_key[0]
            return conn.execute(sa.insert(signature).values(
                signatory_id=who, manifesto_version_id=version_id, language="en",
                text_sha256="0" * 64, status=status, privacy_notice_version="1", flagged=False,
                signer_emails_sent=1, created_at=now)).inserted_primary_key[0]

        withdrawn = signed("ana@example.org", "withdrawn")
        earliest = signed("ana@example.org", "confirmed")
        later = signed("ana@example.org", "pending")
        other = signed("ana@example.org", "verified", kind="mayor")
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT id, duplicate_key FROM signature")).all())
    assert keys[earliest] == signing.duplicate_key(
        SignatoryKind.ORGANISATION, "PT", "cidade aberta", "ana@example.org")
    assert keys[later] is None and keys[withdrawn] is None
    assert keys[other] == signing.duplicate_key(SignatoryKind.MAYOR, "PT", "lisboa",
                                                "ana@example.org")


def test_the_referral_code_migration_gives_every_activity_a_code_and_keeps_attributions(
        make_app):
    """0010 on a live database with activities logged before they had a code: each gets its own
    (none an activity or a city already has), the others keep theirs, signatures stay
    attributed to their activity, and from then on an activity without a code is refused."""
    from datetime import UTC, datetime

    app = make_app(tables=False)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0009_abuse_limits"]).exit_code == 0
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        tables = sa.MetaData()
        tables.reflect(conn, only=["manifesto_version", "signatory", "signature",
                                   "ambassador_city", "outreach_activity"])
        version, signatory, signature, city, activity = (tables.tables[name] for name in (
            "manifesto_version", "signatory", "signature", "ambassador_city",
            "outreach_activity"))
        version_id = conn.execute(sa.insert(version).values(
            number=1, language="en", title="M", body="Text", sha256="0" * 64,
            published_at=now)).inserted_primary_key[0]
        city_id = conn.execute(sa.insert(city).values(
            name="Lisboa", country="PT", stage="ambassador", referral_code="lisbon-code",
            languages=[], countries=[], created_at=now)).inserted_primary_key[0]

        def logged(code):
            return conn.execute(sa.insert(activity).values(
                ambassador_city_id=city_id, date=date(2025, 1, 1), type="webinar",
                title="Webinar", description="", language="pt", audience_reached=1,
                mayors_engaged=0, organisations_engaged=0, referral_code=code,
                created_at=now)).inserted_primary_key[0]

        with_code, without, also_without = logged("had-one"), logged(None), logged(None)
        who = conn.execute(sa.insert(signatory).values(
            kind="organisation", organisation_name="Cidade Aberta", country="PT",
            city="Lisboa", contact_email="ana@example.org", email_canonical="ana@example.org",
            name_folded="cidade aberta", listed_publicly=False,
            created_at=now)).inserted_primary_key[0]
        signed = conn.execute(sa.insert(signature).values(
            signatory_id=who, manifesto_version_id=version_id, language="en",
            text_sha256="0" * 64, status="confirmed", privacy_notice_version="1",
            flagged=False, signer_emails_sent=1, created_at=now, ambassador_city_id=city_id,
            outreach_activity_id=without)).inserted_primary_key[0]

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as conn:
        codes = dict(conn.execute(sa.text("SELECT id, referral_code FROM outreach_activity")).all())
        attributed = conn.execute(sa.text(
            "SELECT ambassador_city_id, outreach_activity_id FROM signature WHERE id = :id"),
            {"id": signed}).one()
    assert codes[with_code] == "had-one"
    assert all(len(codes[a]) == 16 for a in (without, also_without))
    assert len({*codes.values(), "lisbon-code"}) == 4
    assert tuple(attributed) == (city_id, without)
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO outreach_activity (ambassador_city_id, date, type, title, description, "
            "language, audience_reached, mayors_engaged, organisations_engaged, created_at) "
            "VALUES (:city, '2025-01-02', 'webinar', 'No code', '', 'pt', 0, 0, 0, :now)"),
            {"city": city_id, "now": now})

    result = runner.invoke(args=["db", "downgrade", "0009_abuse_limits"])
    assert result.exit_code == 0, result.output
    with db.engine.connect() as conn:
        assert conn.execute(sa.text(
            "SELECT outreach_activity_id FROM signature WHERE id = :id"),
            {"id": signed}).scalar() == without
    [column] = [c for c in sa.inspect(db.engine).get_columns("outreach_activity")
                if c["name"] == "referral_code"]
    assert column["nullable"]
