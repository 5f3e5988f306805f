"""The open-data API, ``/api/v1/``: read-only JSON and CSV of the public counts, the count
history, the public list of signatories, the published targets and the ambassador cities.

No language prefix and no translation: the API is for machines; names of countries and labels
are left to the reader (ISO codes and the domain's code values are given instead).
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from manifesto.web.api import routes  # noqa: E402,F401
