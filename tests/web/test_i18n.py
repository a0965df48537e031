"""The pages in Kazakh, Russian and English: complete catalogues, the viewer's choice kept,
the browser's languages honoured, English where nothing fits."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from custos.dpia.models import AssessmentVersion
from custos.permissions import Role
from custos.web import i18n
from custos.web.pages.public import DATA_TERMS
from helpers import bearer, page_client

PAGE = {"Accept": "text/html"}
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_every_message_is_translated_with_its_placeholders(language: str) -> None:
    with open(i18n.catalogue_path(language), "rb") as source:
        catalogue = read_po(source, locale=language)
    wanted = i18n.source_catalogue()
    assert {m.id for m in wanted if m.id} == {m.id for m in catalogue if m.id}, (
        "run `make messages` and translate what is new"
    )
    assert set(DATA_TERMS) <= {m.id for m in catalogue if m.id}
    for message in catalogue:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: {message.id!r} is not translated"
        for text in strings:
            assert _placeholders(text) == _placeholders(ids[-1]), (language, message.id)


def test_a_chosen_language_is_kept_and_english_is_the_fallback(app: FastAPI) -> None:
    with page_client(app) as client:
        page = client.get("/register?lang=kk", headers=PAGE)
        assert '<html lang="kk">' in page.text
        assert "Камералардың жария тізілімі" in page.text
        assert "Public camera register" not in page.text
        assert page.cookies.get(i18n.COOKIE) == "kk"
        again = client.get("/transparency/", headers=PAGE)  # no ?lang=: the cookie decides
        assert "Ашықтық" in again.text
        assert '<html lang="kk">' in again.text
        russian = client.get("/policy?lang=ru", headers=PAGE)
        assert "Действующая политика" in russian.text
        assert "30 дней, затем удаляются уничтожением ключа" in russian.text
        assert "2\xa0557 дней (7 лет)" in russian.text  # three plural forms, grouped digits
        assert "Русский" in russian.text
        assert "Қазақша" in russian.text
    with page_client(app) as client:
        assert (
            "Публичный реестр камер"
            in client.get(
                "/register", headers={**PAGE, "Accept-Language": "ru-KZ,ru;q=0.9,en;q=0.5"}
            ).text
        )
        assert (
            "Камералардың"
            in client.get(
                "/register", headers={**PAGE, "Accept-Language": "de-DE, kk;q=0.8, ru;q=0.7"}
            ).text
        )
        for header in ("de-DE,fr;q=0.5", "", "ru;q=0"):
            page = client.get("/register", headers={**PAGE, "Accept-Language": header})
            assert "Public camera register" in page.text, header
        unknown = client.get("/register?lang=xx", headers=PAGE)
        assert '<html lang="en">' in unknown.text
        assert i18n.COOKIE not in unknown.cookies


def test_words_from_the_data_are_translated_and_text_typed_in_is_shown_as_typed(
    app: FastAPI, db: Session
) -> None:
    typed = "pupils, 100% of them under 16 (%(x)s)"
    db.execute(sa.update(AssessmentVersion).values(vulnerable_groups=typed))
    db.commit()
    with page_client(app) as client:
        page = client.get("/processing-record?lang=ru", headers=PAGE)
    assert page.status_code == 200
    assert "люди, проходящие в поле зрения камер" in page.text  # a fixed phrase, translated
    assert "pupils, 100% of them under 16 (%(x)s)" in page.text  # what a person typed, as typed


def test_the_switch_remembers_the_language_and_goes_back_to_the_page_on_this_site(
    app: FastAPI,
) -> None:
    with page_client(app) as client:
        here = str(client.base_url)
        switched = client.get("/language/ru", headers={"Referer": f"{here}/register?lang=kk&x=1"})
        assert switched.status_code == 303
        assert switched.headers["location"] == "/register?x=1"
        assert switched.cookies.get(i18n.COOKIE) == "ru"
        assert "Публичный реестр камер" in client.get("/register", headers=PAGE).text
        elsewhere = client.get(
            "/language/kk", headers={"Referer": "https://attacker.example/register"}
        )
        assert elsewhere.headers["location"] == "/"  # never back to another site
        sneaky = client.get("/language/kk", headers={"Referer": f"{here}//attacker.example/x"})
        assert sneaky.headers["location"] == "/attacker.example/x"  # a path here, not a site
        assert client.get("/language/kk").headers["location"] == "/"
        unknown = client.get("/language/de", headers=PAGE)
        assert unknown.status_code == 404
        assert client.cookies.get(i18n.COOKIE) == "kk"


STAFF_PAGES = (
    "/cameras", "/health", "/retention", "/incidents", "/cases", "/requests", "/holds",
    "/users", "/dpias", "/inspection", "/audit", "/account", "/breaches",
    "/subject-requests",
)  # fmt: skip
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_staff_pages_are_translated_too(
    client: TestClient, make_user: Callable[..., tuple[str, str]], language: str
) -> None:
    tokens = [bearer(make_user(role)[1]) for role in (Role.ADMIN, Role.DPO, Role.APPROVER)]
    shown = 0
    for path in STAFF_PAGES:
        for headers in tokens:
            english = client.get(f"{path}?lang=en", headers={**PAGE, **headers})
            if english.status_code == 200:
                break
        assert english.status_code == 200, path
        translated = client.get(f"{path}?lang={language}", headers={**PAGE, **headers})
        assert translated.status_code == 200, path
        assert f'<html lang="{language}">' in translated.text
        [heading] = _H1.findall(translated.text)[:1] or [""]
        assert heading, path
        assert heading != _H1.findall(english.text)[0], (path, heading)
        assert "Sign out" not in translated.text, path
        shown += 1
    assert shown == len(STAFF_PAGES)
