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
                                    type="webinar", title="Orphan", language="en"))
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

    from manifesto import signing
    from manifesto.models import SignatoryKind

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
