"""Fixed facts of the campaign and of the texts published with the app."""

from datetime import date

from config import LANGUAGES

LAUNCH_DATE = date(2016, 11, 23)  # launched in Brussels

# The privacy notice a signature's consent refers to; bump with every change to its text.
PRIVACY_NOTICE_VERSION = "1"
PRIVACY_NOTICE_DATE = date(2026, 11, 21)
ACCESSIBILITY_STATEMENT_DATE = date(2026, 11, 21)
# What the accessibility statement says was checked; tests/browser/test_accessibility.py holds
# it to the pages it checks and to the axe-core it runs.
ACCESSIBILITY_CHECK = {"pages": 64, "languages": len(LANGUAGES), "axe": "4.12"}
