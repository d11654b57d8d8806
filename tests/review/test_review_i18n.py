"""English, French and Spanish: complete catalogs, chosen per user, in the web app and the CLI;
times in the unit's time zone with UTC one click away."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from conftest import PASSWORD
from review_factories import sample_flags
from test_review_browser import browser_page  # noqa: F401 (the fixture)

from pipelines.cli import main
from pipelines.review.accounts import Accounts
from pipelines.review.i18n import TRANSLATIONS_DIR, translator
from pipelines.review.store import ReviewStore
from pipelines.review.web import create_app, running_server

ROOT = Path(__file__).resolve().parents[2]


def _source_messages() -> set[str]:
    method_map = [("pipelines/review/**.py", "python"), ("pipelines/review/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None}
    return {message for _, _, message, *_ in extract_from_dir(str(ROOT), method_map, keywords=keywords)
            if isinstance(message, str) and message}


@pytest.mark.parametrize("language", ["fr", "es"])
def test_every_text_is_translated_and_the_compiled_catalog_is_current(language):
    folder = TRANSLATIONS_DIR / language / "LC_MESSAGES"
    catalog = read_po((folder / "messages.po").open("rb"))
    translated = {message.id: message.string for message in catalog if message.id}
    missing = sorted(_source_messages() - {k for k, v in translated.items() if v})
    assert not missing, f"untranslated in {language}: {missing}"
    for message_id, text in translated.items():  # placeholders survive translation
        assert sorted(re.findall(r"%\(\w+\)s", message_id)) == sorted(re.findall(r"%\(\w+\)s", text)), message_id
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == (folder / "messages.mo").read_bytes(), \
        "messages.mo is stale: pybabel compile -d pipelines/review/translations"
    assert translator(language)("Priority list") != "Priority list"


@pytest.fixture
def store(tmp_path):
    review_store = ReviewStore(str(tmp_path / "r.sqlite"))
    review_store.add_flags(sample_flags())
    accounts = Accounts(review_store)
    for name, language in (("eve", "en"), ("fanny", "fr"), ("sofia", "es")):
        accounts.add(name, roles=["analyst"], units=["jpau-yvr"], country="CAN", password=PASSWORD,
                     language=language)
    yield review_store
    review_store.close()


def test_the_cli_speaks_the_accounts_language(store, capsys):
    db = store.url.replace("sqlite:///", "")
    for name, word in (("eve", "SEVERITY"), ("fanny", "GRAVITÉ"), ("sofia", "GRAVEDAD")):
        assert main(["review", "list", "--db", db, "--analyst", name, "--show", "all"]) == 0
        assert capsys.readouterr().out.split()[1] == word


def test_one_page_in_each_language_and_the_units_clock(browser_page, store):
    page = browser_page
    expected = {"eve": ("en", "Priority list", "Sign out"), "fanny": ("fr", "Liste de priorité", "Déconnexion"),
                "sofia": ("es", "Lista de prioridad", "Cerrar sesión")}
    with running_server(create_app(store)) as base_url:
        for name, (language, title, sign_out) in expected.items():
            page.goto(base_url + "/login")
            page.fill("#username", name)
            page.fill("#password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#flag-list")
            assert page.get_attribute("html", "lang") == language
            assert page.inner_text("main h1") == title
            assert page.inner_text("#sign-out") == sign_out
            if name == "eve":
                # Vancouver's clock by default (p1 leaves 2026-11-24 09:00 UTC = 01:00 PST), UTC on request.
                assert "2026-11-24 01:00 PST" in page.inner_text("tr[data-flag-id='p1']")
                assert "America/Vancouver" in page.inner_text("main .hint")
                page.check("input[name=utc][value='1']")
                page.click("form.prefs button[type=submit]")
                page.wait_for_selector("#flag-list")
                assert "2026-11-24 09:00 UTC" in page.inner_text("tr[data-flag-id='p1']")
                # and the language can be changed from any page, for this user from now on
                page.select_option("#language", "es")
                page.click("form.prefs button[type=submit]")
                page.wait_for_selector("#flag-list")
                assert page.inner_text("main h1") == "Lista de prioridad"
                page.select_option("#language", "en")
                page.click("form.prefs button[type=submit]")
                page.wait_for_selector("#flag-list")
            page.click("#sign-out")
            page.wait_for_selector("#login-form")
    assert Accounts(store).get("eve").language == "en"
