"""No CSV the app writes yields a formula cell in a spreadsheet app, whichever character that
app splits on (a comma in English, a semicolon in most other languages, a tab when pasted):
``manifesto.core.csvsafe``, used by the API, the coordinators' exports and the ambassador's export.

A cell is a formula when, after spaces and double quotes, it starts with ``=``, ``+``, ``-`` or
``@`` (or their full-width forms). The property reads each output as a spreadsheet would, with
quotes (``csv.reader``) and without (splitting the raw line), on ``,``, ``;`` and tab."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from manifesto.core import csvsafe
from manifesto.extensions import db
from manifesto.models import Role, SignatoryKind, SignatureStatus
from tests.support import factories
from tests.support.auth import AuthActions
from tests.support.outreach import activity, ambassador, city

FORMULA_START = tuple(csvsafe.FORMULA_CHARACTERS)
# A bare number the app wrote (a count, an id), alone or at the start of a row that a
# semicolon app reads as one cell: a number, never a formula.
BARE_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?(e[+-]?\d+)?(,|$)", re.IGNORECASE)
DANGEROUS = [
    'Beta Lda;=HYPERLINK("http://evil.example";"click");x',
    "Gamma\t@SUM(1+1)*cmd|' /C calc'!A0",
    "Delta, -2+3+cmd|' /C calc'!A0",
    'Epsilon;"=1+1";" +1"',
    "Zeta\r\n=1+1",
    "\uff1d1+1",
]


def formula_cells(text: str) -> list[tuple[str, str]]:
    """(separator, cell) for every cell a spreadsheet app could take for a formula."""
    found = []
    for sep in (",", ";", "\t"):
        cells = [c for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep)
                 for c in row]
        cells += re.split(f"[{re.escape(sep)}\r\n]", text)  # an app that ignores quotes
        for cell in cells:
            start = cell.lstrip().lstrip('"').lstrip()
            while start != (start := start.lstrip().lstrip('"')):
                pass
            if start.startswith(FORMULA_START) and not BARE_NUMBER.match(start):
                found.append((sep, cell))
    return found


def test_the_check_finds_what_it_should():
    assert formula_cells('a,b;=1+1,c')
    assert formula_cells('"a;""=1"""')
    assert formula_cells('x\t @y')
    assert not formula_cells("12,-3,2026-03-01,2026-03-01T10:00:00+00:00,a - b")


text = st.text(alphabet=st.sampled_from(list(',;\t\r\n "\'=+-@\uff1d x1.')) | st.characters(),
               max_size=40)
values = st.one_of(text, st.integers(-10**6, 10**6), st.none(), st.booleans(),
                   st.sampled_from(DANGEROUS))


@settings(max_examples=600, derandomize=True, database=None)
@given(st.lists(st.lists(values, min_size=1, max_size=6), min_size=1, max_size=4))
@example([[value] for value in DANGEROUS])
@example([["=1", -5, "-5", "a;-5"]])
def test_no_cell_of_a_csv_is_a_formula_whatever_the_separator(rows):
    output = csvsafe.lines(rows)
    assert formula_cells(output) == []
    # And a comma reader gets every value back, the apostrophes undone by ``restore``.
    read = list(csv.reader(io.StringIO(output, newline="")))
    assert len(read) == len(rows)
    for row, got in zip(rows, read, strict=True):
        expected = [
            "" if v is None else ("true" if v else "false") if isinstance(v, bool)
            else str(v) if isinstance(v, int) else v
            for v in row
        ]
        assert [csvsafe.restore(c) if isinstance(v, str) else c
                for v, c in zip(row, got, strict=True)] == expected


def test_legitimate_values_are_left_alone():
    assert csvsafe.line([-5, 3.5, "2026-03-01", "2026-03-01T10:00:00+00:00",
                         "Lisbon - Porto", "https://example.org/?a=1&b=-2", "O'Brien"]) == (
        '-5,3.5,"2026-03-01","2026-03-01T10:00:00+00:00","Lisbon - Porto",'
        '"https://example.org/?a=1&b=-2","O\'Brien"\r\n')
    assert csvsafe.neutralise('Beta Lda;=HYPERLINK("x");x') == "Beta Lda;'=HYPERLINK(\"x\");x"


# --- every CSV the app writes, through its page ---------------------------------------------


def test_every_csv_the_app_writes_is_safe(app):
    # An organisation name, a city and an activity's text, each with a formula after a separator.
    signature = factories.signature(kind=SignatoryKind.ORGANISATION,
                                    status=SignatureStatus.CONFIRMED, country="PT")
    signature.signatory.organisation_name = DANGEROUS[0]
    signature.signatory.city = DANGEROUS[1]
    signature.signatory.listed_publicly = True
    signature.created_at = signature.public_since = datetime(2026, 3, 2, 12, tzinfo=UTC)
    db.session.commit()

    ambassador_client = app.test_client()
    own, _user = ambassador(ambassador_client, country="PT", name="Lisboa")
    for n, danger in enumerate(DANGEROUS):
        activity(own, date=date(2026, 3, 2), title=f"{n} {danger}", description=danger,
                 evidence_url=f"https://example.org/{n};=1")
    db.session.commit()

    coordinator = app.test_client()
    user = factories.user(role=Role.COORDINATOR)
    assert AuthActions(coordinator).login(user).status_code == 302

    period = {"start": "2026-03-01", "end": "2026-03-31", "country": ""}
    def body(response) -> str:
        assert response.status_code == 200
        return response.get_data(as_text=True).lstrip("\ufeff")  # read before the next one

    answers = {
        "api signatories": body(app.test_client().get("/api/v1/signatories.csv")),
        "export signatories": body(coordinator.post("/en/coordinate/exports/signatories.csv",
                                                    data=period)),
        "export activities": body(coordinator.post("/en/coordinate/exports/activities.csv",
                                                   data=period)),
        "ambassador activities": body(ambassador_client.get("/en/ambassador/activities.csv")),
    }
    for name, text in answers.items():
        assert "Beta Lda" in text, name  # the text is there…
        assert formula_cells(text) == [], name  # …and no spreadsheet runs any of it

    # Imported back, the ambassador's own export gives the same activities (round trip).
    exported = answers["ambassador activities"]
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert sorted(csvsafe.restore(r["description"]) for r in rows) == sorted(DANGEROUS)


@pytest.mark.parametrize("danger", DANGEROUS)
def test_an_exported_activity_imports_back_unchanged(app, danger):
    from manifesto.web.ambassador import csv_import

    client = app.test_client()
    own, _user = ambassador(client)
    activity(own, title="Imported", description=danger)
    db.session.commit()
    exported = client.get("/en/ambassador/activities.csv").get_data()
    other_city = city()  # the same activity again in its own city would be a repeat
    with app.test_request_context("/en/ambassador/activities/import"):
        result = csv_import.read_csv(exported, "activities.csv", other_city)
    assert result.problem is None
    [row] = result.rows
    assert row.problems == [] and row.values["description"] == danger
