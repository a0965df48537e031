"""The pages in the languages of the people filmed: Kazakh, Russian and English.

The catalogues are gettext `.po` files in `custos/locale/<lang>/LC_MESSAGES/messages.po`,
compiled in memory by Babel when first used, so what is reviewed is what runs. The language
of a request is, in order: `?lang=` (which is then remembered in a cookie for a year), that
cookie, the browser's Accept-Language, English. A message with no translation shows in
English. Templates call `_()` and `ngettext()` (Jinja2's i18n extension, new style); Python
code that words a page calls `gettext` and `ngettext` here, which follow the language of the
page being rendered.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from functools import cache
from importlib import resources
from io import BytesIO
from urllib.parse import parse_qsl, urlencode, urlsplit

from babel.core import UnknownLocaleError, negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from fastapi import Request
from starlette.responses import Response

DEFAULT = "en"
LANGUAGES = {"en": "English", "kk": "Қазақша", "ru": "Русский"}
"""The languages offered, each named in itself (as the switcher shows them)."""

COOKIE = "custos_lang"
_YEAR = 365 * 24 * 3600

_current: ContextVar[tuple[str, _gettext.NullTranslations]] = ContextVar(
    "custos_translations", default=(DEFAULT, _gettext.NullTranslations())
)


def catalogue_path(language: str) -> str:
    """Where a language's catalogue is kept, inside the package."""
    return str(resources.files("custos") / "locale" / language / "LC_MESSAGES" / "messages.po")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `language` (nothing to translate for English)."""
    if language == DEFAULT:
        return _gettext.NullTranslations()
    with open(catalogue_path(language), "rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(message: str) -> str:
    """`message` in the language of the page being rendered."""
    return _current.get()[1].gettext(message)


def ngettext(singular: str, plural: str, number: int) -> str:
    """The form for `number` in the language of the page being rendered."""
    return _current.get()[1].ngettext(singular, plural, number)


def number(value: float) -> str:
    """A number written as the page's language writes it: 2,557 · 2 557."""
    return format_decimal(value, locale=_current.get()[0])


def _accepted(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first."""
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().replace("_", "-")))
    return [tag for *_, tag in sorted(ranked)]


def choose(request: Request) -> str:
    """The language to answer `request` in."""
    for asked in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if asked in LANGUAGES:
            return asked
    wanted = _accepted(request.headers.get("accept-language", ""))
    try:
        found = negotiate_locale(wanted, list(LANGUAGES), sep="-")
    except (UnknownLocaleError, ValueError):
        found = None
    if found is None:  # 'ru-KZ' and the like: match on the language alone
        found = next((tag.split("-")[0] for tag in wanted if tag.split("-")[0] in LANGUAGES), None)
    return found or DEFAULT


def activate(language: str) -> None:
    """Render what follows, in this context, in `language`."""
    _current.set((language, translations(language)))


def remember(request: Request, response: Response, language: str, secure: bool) -> None:
    """Keep a language chosen with `?lang=` for the visits that follow."""
    if request.query_params.get("lang") == language and request.cookies.get(COOKIE) != language:
        keep(response, language, secure)


def keep(response: Response, language: str, secure: bool) -> None:
    """Set the cookie that remembers the viewer's language for a year."""
    response.set_cookie(
        COOKIE, language, max_age=_YEAR, httponly=True, samesite="lax", secure=secure
    )


def back_to(request: Request) -> str:
    """Where a language switch returns to: the page it was made from, when that page is on this
    site (path and query, without any `lang`), else the start page."""
    referer = urlsplit(request.headers.get("referer", ""))
    path = referer.path
    if referer.netloc != request.url.netloc or not path.startswith("/") or "\\" in path:
        return "/"
    path = "/" + path.lstrip("/")  # '//elsewhere' would be another site's address
    query = urlencode([(k, v) for k, v in parse_qsl(referer.query) if k != "lang"])
    return path + (f"?{query}" if query else "")


def source_catalogue() -> Catalog:
    """Every message the pages may show: extracted from the templates and from the page code
    (`gettext`, `ngettext`, `_`), and the words from the data that pages translate."""
    from custos.web.pages.public import DATA_TERMS

    catalogue = Catalog(project="Custos", domain="messages")
    root = resources.files("custos.web")
    methods = [("templates/**.html", "jinja2"), ("pages/**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2)}
    for filename, line, message, comments, _context in extract_from_dir(
        str(root), method_map=methods, keywords=keywords
    ):
        catalogue.add(message, locations=[(f"web/{filename}", line)], auto_comments=comments)
    for term in DATA_TERMS:
        catalogue.add(term, locations=[("web/pages/public.py", 0)])
    return catalogue
