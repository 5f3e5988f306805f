"""Languages: the ``/<lang>/`` URL prefix, the locale for each request, and locale-aware helpers.

The language of a public page is the one in its URL. Pages without one (``/``, ``/healthz``,
a 404 for an unknown prefix) fall back to the signed-in user's choice, then to the browser's
``Accept-Language``, then to English.
"""

from __future__ import annotations

import functools
import unicodedata
from urllib.parse import quote

from flask import Flask, current_app, g, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.routing import BaseConverter

from manifesto.core.urls import absolute_url, path_for

# Each language's own name for itself, shown in the switcher: never translated.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "it": "Italiano",
    "pt": "Português",
    "ru": "Русский",
    "es": "Español",
}


def languages() -> tuple[str, ...]:
    return current_app.config["LANGUAGES"]


def best_accept_language() -> str:
    """The best supported language for the browser; English when nothing matches."""
    try:
        return request.accept_languages.best_match(languages()) or "en"
    except Exception:  # a header Werkzeug cannot make sense of: English, not a 500
        return "en"


def select_locale() -> str:
    # The language in the path wins, also on a 404 where no route matched.
    prefix = request.path.strip("/").split("/", 1)[0]
    if prefix in languages():
        return prefix
    if current_user and current_user.is_authenticated and current_user.locale in languages():
        return current_user.locale
    return best_accept_language()


def current_language() -> str:
    return str(get_locale() or "en")


def switch_language_url(lang: str) -> str:
    """The same page in another language, keeping its arguments and query string."""
    endpoint = request.endpoint
    view_args = g.get("view_args")
    if endpoint and view_args is not None and "lang_code" in (request.url_rule.arguments or ()):
        return path_for(endpoint, query=request.args.to_dict(), **view_args, lang_code=lang)
    # A page that does not exist, under a language prefix: the same address in the other
    # language, so that the "not found" page is read in it.
    prefix, _, rest = request.path.lstrip("/").partition("/")
    if prefix in languages() and not rest.startswith("/"):
        query = request.query_string.decode("utf-8", "replace")
        return f"/{lang}/{quote(rest, safe='/')}" + (f"?{query}" if query else "")
    return url_for("public.home", lang_code=lang)


def alternate_links() -> list[tuple[str, str]]:
    """(hreflang, absolute URL) for each language of the current page, for ``<link rel=alternate>``."""
    view_args = g.get("view_args")
    if not request.endpoint or view_args is None:
        return []
    query = request.args.to_dict()
    return [
        (lang, absolute_url(request.endpoint, query=query, **view_args, lang_code=lang))
        for lang in languages()
    ]


def country_name(code: str | None, locale: str | None = None) -> str:
    """The country's name in the page's language (Babel's CLDR data), or the code if unknown."""
    if not code:
        return ""
    return _territories(locale or current_language()).get(code.upper(), code.upper())


@functools.lru_cache(maxsize=16)
def _territories(locale: str) -> dict[str, str]:
    """CLDR territory names for one locale; parsed once, as pages name hundreds of countries."""
    from babel import Locale

    return dict(Locale.parse(locale).territories)


def language_name(code: str) -> str:
    """A language's name in the page's language ("allemand" on a French page), for sentences.

    The switcher uses ``LANGUAGE_NAMES`` instead: each language's name for itself.
    """
    from babel import Locale

    return Locale.parse(code).get_display_name(current_language()) or code


# CLDR territories that are not ISO 3166-1 countries (regions, reserved and private-use codes).
NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


@functools.lru_cache(maxsize=16)
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 countries as (code, name in ``locale``), sorted as a reader of it expects."""
    names = _territories(locale)
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in NOT_ISO_3166]

    def key(code: str) -> str:
        decomposed = unicodedata.normalize("NFKD", names[code])
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()

    return tuple((code, names[code]) for code in sorted(codes, key=key))


def is_iso_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 code the country lists offer."""
    return code in _iso_codes()


@functools.lru_cache(maxsize=1)
def _iso_codes() -> frozenset[str]:
    return frozenset(code for code, _name in country_choices("en"))


def init_app(app: Flask) -> None:
    codes = tuple(app.config["LANGUAGES"])

    class LanguageConverter(BaseConverter):
        """Matches only the supported codes, so ``/xx/`` is a plain, localized 404."""

        regex = "(?:" + "|".join(codes) + ")"

    app.url_map.converters["lang"] = LanguageConverter

    @app.url_value_preprocessor
    def pull_lang_code(endpoint, values):
        if values is not None:
            values.pop("lang_code", None)  # select_locale reads it from the path
            g.view_args = dict(values)

    @app.url_defaults
    def add_lang_code(endpoint, values):
        if "lang_code" in values:
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = current_language()

    @app.context_processor
    def inject_i18n():
        return {
            "LANGUAGES": codes,
            "LANGUAGE_NAMES": LANGUAGE_NAMES,
            "current_language": current_language,
            "switch_language_url": switch_language_url,
            "alternate_links": alternate_links,
            "country_name": country_name,
            "language_name": language_name,
        }
