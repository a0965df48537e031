"""Bring the translation catalogues up to date with the pages: `make messages`.

Extracts every message the pages show (`custos.web.i18n.source_catalogue`) and merges it into
`src/custos/locale/<lang>/LC_MESSAGES/messages.po` for each language offered: new messages
arrive untranslated, changed ones are marked fuzzy, and what is translated is kept. A message
left untranslated shows in English; `tests/web/test_i18n.py` fails until each is translated.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from custos.web.i18n import DEFAULT, LANGUAGES, catalogue_path, source_catalogue


def main() -> None:
    source = source_catalogue()
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        path = Path(catalogue_path(language))
        if path.exists():
            with path.open("rb") as existing:
                catalogue = read_po(existing, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = Catalog(locale=language, project="Custos", domain="messages")
        catalogue.update(source, no_fuzzy_matching=True)
        with path.open("wb") as out:
            write_po(out, catalogue, width=100, sort_output=True, ignore_obsolete=True)
        missing = sum(1 for m in catalogue if m.id and not m.string)
        print(f"{path}: {len(catalogue)} messages, {missing} untranslated")


if __name__ == "__main__":
    main()
