"""Query parameters of the API, checked strictly: a value the API does not know is a 400 that
names the parameter, never a silently dropped filter (the HTML list drops them instead, as a
person can see what the page shows; a program cannot)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from werkzeug.datastructures import MultiDict

from manifesto.core.i18n import is_iso_country

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[0-9]{1,9}")


class ApiError(Exception):
    """A request the API refuses: answered as ``{"error": {...}}`` with ``status``."""

    def __init__(self, parameter: str | None, message: str, code: str = "invalid_parameter",
                 status: int = 400):
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.code = code
        self.status = status

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.parameter is not None:
            error["parameter"] = self.parameter
        return {"error": error}


def text(args: MultiDict, name: str) -> str | None:
    """The parameter's value, or None when it is absent or empty; given twice is an error."""
    values = args.getlist(name)
    if len(values) > 1:
        raise ApiError(name, f"'{name}' may be given only once")
    value = values[0].strip() if values else ""
    return value or None


def choice(args: MultiDict, name: str, allowed: Iterable[str]) -> str | None:
    value = text(args, name)
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise ApiError(name, f"'{name}' must be one of: {', '.join(allowed)}")
    return value


def country(args: MultiDict, name: str = "country") -> str | None:
    """An ISO 3166-1 alpha-2 code, in either case; returned upper-case."""
    value = text(args, name)
    if value is None:
        return None
    code = value.upper()
    if not (len(code) == 2 and code.isascii() and is_iso_country(code)):
        raise ApiError(name, f"'{name}' must be an ISO 3166-1 alpha-2 country code, such as FR")
    return code


def iso_date(args: MultiDict, name: str) -> date | None:
    value = text(args, name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(name, f"'{name}' must be a date written YYYY-MM-DD") from None


def date_range(args: MultiDict) -> tuple[date | None, date | None]:
    start, end = iso_date(args, "from"), iso_date(args, "to")
    if start is not None and end is not None and start > end:
        raise ApiError("from", "'from' must not be after 'to'")
    return start, end


def whole(args: MultiDict, name: str, default: int, minimum: int, maximum: int) -> int:
    value = text(args, name)
    if value is None:
        return default
    if not _WHOLE.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise ApiError(name, f"'{name}' must be a whole number from {minimum} to {maximum}")
    return int(value)


def search(args: MultiDict, name: str = "q", longest: int = 100) -> str | None:
    """A name to search for, spaces collapsed as the HTML list does."""
    value = text(args, name)
    if value is None:
        return None
    value = " ".join(value.split())
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):  # PostgreSQL refuses a NUL
        raise ApiError(name, f"'{name}' may not contain control characters")
    if len(value) > longest:
        raise ApiError(name, f"'{name}' may be at most {longest} characters long")
    return value
