"""Sign-in, roles, unit separation and escaping, in a real headless Chromium.

Local accounts and OpenID Connect against a real OpenID Provider started here on loopback
(panva/oidc-provider, OpenID Certified, in tests/review/oidc_provider/; `npm ci` installs it
from its lockfile when node_modules/ is missing). Needs Debian's chromium, Playwright for Python
and Node 20+; PAXSHARE_SKIP_BROWSER=1 skips them where none can be installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import PASSWORD, add_test_users
from review_factories import make_entry, make_flag
from test_review_browser import browser_page  # noqa: F401 (the fixture)

from pipelines.review.accounts import MAX_FAILURES, Accounts
from pipelines.review.oidc import OIDCSettings, subject_of
from pipelines.review.store import ReviewStore
from pipelines.review.web import WebSettings, create_app, running_server

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
PROVIDER_PORT, APP_PORT = 13001, 18181
ISSUER = f"http://127.0.0.1:{PROVIDER_PORT}"

#: Names and remarks an airline message or a list could carry, meant to run script in the page.
HOSTILE = [
    "<script>window.__xss='script'</script>",
    '"><img src=x onerror="window.__xss=\'img\'">',
    "' onmouseover='window.__xss=1' x='",
    "</td></tr></table><svg onload=window.__xss='svg'>",
    "JOHN\u202eGNP.EXE",          # right-to-left override
    "Ｓｃｒｉｐｔ\u200b<scr\u200bipt>alert(1)</scr\u200bipt>",  # full-width letters, zero-width space
    "{{ 7*7 }} ${7*7} javascript:alert(1)",
]


@pytest.fixture
def store(tmp_path):
    review_store = ReviewStore(str(tmp_path / "r.sqlite"))
    review_store.add_flags([
        make_flag("yvr1", severity="TOP", surname="DOE", given_names="JOHN"),
        make_flag("mia1", unit_id="jpau-mia", surname="MIAMI", given_names="ONLY"),
        *[make_flag(f"xss{i}", surname=text, given_names=text, entry_id=f"X{i}",
                    explanation=f"name: {text} vs {text}: 0.99", flight_key=text[:20])
          for i, text in enumerate(HOSTILE)],
    ])
    review_store.add_entries([make_entry(f"X{i}", remarks=text, names=[
        {"full_name": text, "surname": text, "given_names": None, "kind": "PRIMARY", "quality": "GOOD",
         "script": None}]) for i, text in enumerate(HOSTILE)])
    add_test_users(review_store)
    yield review_store
    review_store.close()


def _sign_in(page, base_url, name, password=PASSWORD):
    page.goto(base_url + "/login")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def _sign_out(page):
    page.click("#sign-out")
    page.wait_for_selector("#login-form")


def test_local_sign_in_wrong_password_and_lock_out(browser_page, store):
    page = browser_page
    with running_server(create_app(store)) as base_url:
        _sign_in(page, base_url, "ana", "not the password")
        assert "Sign-in refused" in page.inner_text("#login-error")
        assert page.locator("#flag-list").count() == 0
        _sign_in(page, base_url, "ana")
        page.wait_for_selector("#flag-list")
        assert page.inner_text("#analyst-id") == "ana"
        _sign_out(page)
        assert page.goto(base_url + "/flags/yvr1").url.startswith(base_url + "/login")
        for _ in range(MAX_FAILURES):
            _sign_in(page, base_url, "ana", "wrong again, wrong again")
        _sign_in(page, base_url, "ana")  # the right password, but the account is locked now
        assert "Sign-in refused" in page.inner_text("#login-error")
    actions = [e["action"] for e in store.access_log()]
    assert actions.count("LOGIN_FAILED") == MAX_FAILURES + 2 and "LOCKED" in actions
    assert Accounts(store).get("ana").locked_until


def test_other_units_flags_are_refused_by_link_and_by_id(browser_page, store):
    page = browser_page
    with running_server(create_app(store)) as base_url:
        _sign_in(page, base_url, "ana")
        page.wait_for_selector("#flag-list")
        listed = page.locator("#flag-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.flagId)")
        assert "yvr1" in listed and "mia1" not in listed
        for path in ("/flags/mia1", "/api/flags/mia1"):
            response = page.goto(base_url + path)
            assert response.status == 404
            assert "MIAMI" not in page.content()
        assert page.goto(base_url + "/flags/yvr1").status == 200


def test_auditor_cannot_decide_and_a_decision_persists_in_the_access_log(browser_page, store):
    page = browser_page
    with running_server(create_app(store)) as base_url:
        _sign_in(page, base_url, "ana")
        page.goto(base_url + "/flags/yvr1")
        page.check("input[value='CONFIRMED_MATCH']")
        page.fill("#note", "Same passport number and date of birth as the entry.")
        page.click("#decide-form button[type=submit]")
        page.wait_for_selector("#history")
        page.reload()
        assert "Same passport number" in page.inner_text("#history")
        _sign_out(page)

        _sign_in(page, base_url, "aud")
        page.wait_for_selector("#decisions")
        assert "Same passport number" in page.inner_text("#decisions")
        assert "DOE" not in page.inner_text("main")  # no traveller details for the auditor
        assert page.goto(base_url + "/flags/yvr1").status == 403
        assert page.locator("#decide-form").count() == 0
        token = page.goto(base_url + "/decisions") and page.get_attribute("input[name=csrf_token]", "value")
        forced = page.request.post(base_url + "/flags/yvr1/disposition",
                                   form={"csrf_token": token, "disposition": "FALSE_POSITIVE", "note": "auditor"})
        assert forced.status == 403
        page.goto(base_url + "/audit")
        log = page.inner_text("#access-log")
        assert "DECIDE" in log and "REFUSED" in log and "ana" in log
    assert store.current_disposition("yvr1")["disposition"] == "CONFIRMED_MATCH"


def test_hostile_names_and_remarks_stay_inert(browser_page, store):
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with running_server(create_app(store)) as base_url:
        _sign_in(page, base_url, "ana")
        page.wait_for_selector("#flag-list")
        pages = ["/", "/?show=all", "/overview"] + [f"/flags/xss{i}" for i in range(len(HOSTILE))]
        for path in pages:
            page.goto(base_url + path)
            page.hover("main")
            assert page.evaluate("window.__xss === undefined"), path
            assert page.locator("main script, main img, main svg[onload]").count() == 0, path
        page.goto(base_url + "/flags/xss0")
        assert HOSTILE[0] in page.inner_text("#traveller-name")
        assert HOSTILE[0] in page.inner_text("#entry-remarks")
        page.goto(base_url + "/flags/xss4")
        assert "\u202e" in page.inner_text("#traveller-name")  # shown as text, not obeyed as markup
    assert dialogs == []


@pytest.fixture
def openid_provider():
    """panva/oidc-provider on 127.0.0.1:13001 for the length of a test."""
    if os.environ.get("PAXSHARE_SKIP_BROWSER") == "1":
        pytest.skip("PAXSHARE_SKIP_BROWSER=1")
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("Node.js 20+ and npm are needed for the OpenID Provider: apt-get install nodejs npm")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True,
                       stdout=subprocess.DEVNULL, timeout=300)
    env = dict(os.environ, PORT=str(PROVIDER_PORT), CLIENT_ID="paxshare-review", CLIENT_SECRET="test-secret",
               REDIRECT_URI=f"http://127.0.0.1:{APP_PORT}/login/oidc/callback")
    process = subprocess.Popen([node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the OpenID Provider did not start: {line!r}"
        yield OIDCSettings(ISSUER, "paxshare-review", "test-secret", "Test Agency")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_sign_in_through_the_agencys_openid_provider(browser_page, store, openid_provider):
    Accounts(store).add("oli", roles=["analyst"], units=["jpau-yvr"], country="USA",
                        oidc_subject=subject_of(ISSUER, "officer-7"))
    page = browser_page
    app = create_app(store, settings=WebSettings(oidc=openid_provider))
    with running_server(app, port=APP_PORT) as base_url:
        page.goto(base_url + "/flags/yvr1")
        page.click("#oidc-sign-in")
        # The provider's own sign-in and consent pages.
        page.wait_for_url(ISSUER + "/**")
        page.fill("input[name=login]", "officer-7")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        page.click("button[type=submit]")  # consent: Continue
        page.wait_for_selector("#flag-id")
        assert page.url == base_url + "/flags/yvr1" and page.inner_text("#analyst-id") == "oli"
        _sign_out(page)

        # A subject the provider signs in but this review does not know is refused.
        page.context.clear_cookies()  # end the provider's session too
        page.goto(base_url + "/login")
        page.click("#oidc-sign-in")
        page.wait_for_url(ISSUER + "/**")
        page.fill("input[name=login]", "stranger")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        page.click("button[type=submit]")
        page.wait_for_selector("#login-error")
        assert "no enabled account" in page.inner_text("#login-error")
        assert page.locator("#analyst-id").count() == 0
    logins = [(e["analyst"], e["action"], e["auth"]) for e in store.access_log() if e["action"].startswith("LOGIN")]
    assert logins == [("stranger", "LOGIN_FAILED", f"oidc:{ISSUER}"), ("oli", "LOGIN", f"oidc:{ISSUER}")]
