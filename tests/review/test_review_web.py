"""The web app through Flask's test client: sign-in, priority list, detail, dispositions, overview."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from review_factories import make_flag

from pipelines.review.web import check_loopback, create_app


@pytest.fixture
def app(loaded_store):
    return create_app(loaded_store, secret_key=b"test-key", testing=True)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, analyst="ana", password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": analyst, "password": password,
                                           "csrf_token": _csrf(page)})
    assert response.status_code == 302
    return client


@pytest.fixture
def client(app):
    return _sign_in(app.test_client())


def _flag_order(html: str) -> list[str]:
    return re.findall(r'data-flag-id="([^"]+)"', html)


def test_pages_need_a_signed_in_user(app):
    response = app.test_client().get("/flags/p1")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_refuses_a_wrong_password_and_requires_the_form_token(app, loaded_store):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 400  # no CSRF
    for name, password in ((" ", PASSWORD), ("ana", "wrong password!"), ("nobody", PASSWORD)):
        response = client.post("/login", data={"username": name, "password": password, "csrf_token": _csrf(page)})
        assert response.status_code == 401 and "Sign-in refused" in response.get_data(as_text=True)
    failed = [e for e in loaded_store.access_log() if e["action"] == "LOGIN_FAILED"]
    assert [(e["analyst"], e["auth"], e["detail"]) for e in failed] == [
        ("-", "unverified", "no such local account (name not recorded)"), ("ana", "unverified", "wrong password"),
        ("-", "unverified", "no such local account (name not recorded)")]
    assert all(PASSWORD not in str(e) and "nobody" not in str(e) for e in loaded_store.access_log())


def test_priority_list_shows_open_flags_in_order_and_says_a_human_decides(client, loaded_store):
    html = client.get("/").get_data(as_text=True)
    assert _flag_order(html) == ["p1", "p2", "p3", "p4", "p5", "p6"]
    assert "no flag becomes an adverse action without a human disposition" in html
    assert "No authentication yet" not in html and ">ana</strong>" in html
    assert loaded_store.access_log()[0]["action"] == "LIST"


def test_detail_shows_traveller_beside_entry_and_logs_the_view(client, loaded_store):
    html = client.get("/flags/p5").get_data(as_text=True)
    assert "DOE, JON" in html and "DOE, JOHN (alias, weak)" in html  # entry E1's names
    assert "P AB123456 (CAN)" in html and "P X9999999 (USA)" in html
    assert "name: DOE JOHN vs DOE JON: 0.93 (Jaro-Winkler)" in html
    assert "Not decided yet" in html
    assert [(e["analyst"], e["action"]) for e in loaded_store.access_log(flag_id="p5")] == [("ana", "VIEW")]


def test_detail_without_the_entry_says_who_holds_it(client):
    html = client.get("/flags/p1").get_data(as_text=True)
    assert "holds no copy of entry E3 of USA-LOOKOUT" in html


def test_unknown_flag_is_404(client):
    assert client.get("/flags/nope").status_code == 404


def _decide(client, flag_id, follow_redirects=True, **form):
    html = client.get(f"/flags/{flag_id}").get_data(as_text=True)
    return client.post(f"/flags/{flag_id}/disposition", data={"csrf_token": _csrf(html), **form},
                       follow_redirects=follow_redirects)


def test_recording_a_disposition_persists_it(client, loaded_store):
    response = _decide(client, "p2", disposition="FALSE_POSITIVE", note="DOB differs on the scanned passport")
    html = response.get_data(as_text=True)
    assert "Recorded: False positive." in html
    assert "DOB differs on the scanned passport" in html
    current = loaded_store.current_disposition("p2")
    assert (current["disposition"], current["analyst"]) == ("FALSE_POSITIVE", "ana")
    assert loaded_store.cleared_travellers()[0]["flag_id"] == "p2"
    assert "p2" not in _flag_order(client.get("/").get_data(as_text=True))
    assert "p2" in _flag_order(client.get("/?show=decided").get_data(as_text=True))


def test_a_disposition_without_a_note_is_refused_and_keeps_the_choice(client, loaded_store):
    response = _decide(client, "p2", follow_redirects=False, disposition="CONFIRMED_MATCH", note="   ")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "a note is required" in html
    assert 'value="CONFIRMED_MATCH" required\n      checked' in html
    assert loaded_store.current_disposition("p2") is None


def test_a_post_without_the_form_token_is_refused(client, loaded_store):
    response = client.post("/flags/p2/disposition", data={"disposition": "FALSE_POSITIVE", "note": "x"})
    assert response.status_code == 400
    assert loaded_store.current_disposition("p2") is None


def test_data_is_escaped(loaded_store):
    loaded_store.add_flags([make_flag("evil", severity="TOP", surname="<script>alert(1)</script>",
                                      explanation="<img src=x onerror=alert(2)>")])
    client = _sign_in(create_app(loaded_store, secret_key=b"k", testing=True).test_client())
    for page in (client.get("/").get_data(as_text=True), client.get("/flags/evil").get_data(as_text=True)):
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
        assert "<img src=x" not in page


def test_overview_draws_three_charts(client):
    html = client.get("/overview").get_data(as_text=True)
    assert html.count("<svg") == 3
    assert "Flags by severity: 6 in all" in html
    assert "Score distribution of 6 flags" in html
    assert "no flag becomes an adverse action without a human disposition" in html


def test_cleared_list_downloads_and_the_log_page(client, loaded_store):
    _decide(client, "p3", disposition="FALSE_POSITIVE", note="different person")
    csv_text = client.get("/cleared.csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].startswith("ROE,RICHARD,1980-02-29,AB123456,CAN,MSG1/p3,E2,")
    assert client.get("/cleared.json").get_json()["records"][0]["flag_id"] == "p3"
    assert "ROE" in client.get("/cleared").get_data(as_text=True)
    assert client.get("/audit").status_code == 403  # analysts do not read the access log
    supervisor = _sign_in(client.application.test_client(), "sam")
    audit = supervisor.get("/audit").get_data(as_text=True)
    assert "EXPORT" in audit and "DECIDE" in audit and "VIEW" in audit


def test_responses_carry_security_headers(client):
    headers = client.get("/").headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"


def test_sign_in_goes_back_to_same_site_pages_only(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login?next=//evil.example/x", data={"username": "ana", "password": PASSWORD,
                                                                "csrf_token": _csrf(page)})
    assert response.headers["Location"] == "/"


def test_only_loopback_addresses_are_served():
    assert check_loopback("127.0.0.1") == "127.0.0.1"
    assert check_loopback("localhost") == "127.0.0.1"
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org"):
        with pytest.raises(ValueError, match="refusing to listen .* without TLS"):
            check_loopback(host)


def test_a_missing_disposition_keeps_the_note_typed(client, loaded_store):
    response = _decide(client, "p2", follow_redirects=False, note="photo checked, looks different")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "unknown disposition" in html
    assert ">photo checked, looks different</textarea>" in html
    assert loaded_store.current_disposition("p2") is None
