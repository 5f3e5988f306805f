"""Memory of a streamed download: the coordinators' activities export over N rows.

    .venv/bin/python bench/download_memory.py --rows 100000 --rows 1000000 [--database URL]

Fills a throwaway database (a SQLite file, or the PostgreSQL database given, which it empties)
with N outreach activities, then reads the export to the end as a server would, outside any
app context, and prints the rows, the bytes, the seconds and the peak of Python memory
allocated while streaming (tracemalloc). Bounded means the peak does not grow with N.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import click
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@click.command()
@click.option("--rows", "counts", type=int, multiple=True, default=(100_000,))
@click.option("--database", default="", help="a PostgreSQL URL (emptied); SQLite if not given")
def main(counts: tuple[int, ...], database: str) -> None:
    from config import TestingConfig
    from manifesto import create_app
    from manifesto.extensions import db
    from manifesto.models import AmbassadorCity, OutreachActivity, PipelineStage
    from manifesto.reporting import exports
    from manifesto.reporting.dashboard import Period

    tmp = tempfile.mkdtemp()
    os.environ["MANIFESTO_INSTANCE_PATH"] = tmp
    url = database or f"sqlite:///{tmp}/bench.sqlite3"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        city = AmbassadorCity(name="Lisbon", country="PT", stage=PipelineStage.AMBASSADOR,
                              referral_code="bench-lisbon")
        db.session.add(city)
        db.session.commit()
        city_id, have = city.id, 0
    for n in sorted(counts):
        with app.app_context():
            for start in range(have, n, 50_000):
                db.session.execute(sa.insert(OutreachActivity), [
                    {"ambassador_city_id": city_id, "type": "webinar", "language": "pt",
                     "date": date(2020, 1, 1) + timedelta(days=i % 1500),
                     "title": f"Webinar {i} on citizens' voices", "description": "",
                     "referral_code": f"bench-{i}"}
                    for i in range(start, min(n, start + 50_000))])
                db.session.commit()
            have = n
            stream = exports.activities_csv(Period(date(2000, 1, 1), date(2030, 1, 1)))
        # Read outside the app context, as gunicorn does.
        tracemalloc.start()
        began = time.perf_counter()
        rows = size = 0
        for text, batch_rows in stream:
            rows += batch_rows
            size += len(text.encode())
        seconds = time.perf_counter() - began
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        click.echo(f"{rows:>9,} rows  {size / 1e6:8.1f} MB  {seconds:6.1f} s  "
                   f"peak {peak / 1e6:5.1f} MB allocated while streaming")
        assert rows == n
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
