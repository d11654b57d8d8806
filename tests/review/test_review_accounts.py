"""Sign-in, accounts, roles, unit separation, sessions and headers of the review (no browser)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from conftest import PASSWORD, add_test_users
from review_factories import NOW, make_flag

from pipelines.cli import main
from pipelines.review.access import Viewer, partner_permitted
from pipelines.review.accounts import MAX_FAILURES, Accounts, SignInRefused
from pipelines.review.store import ReviewStore, users_table
from pipelines.review.web import WebSettings, create_app


def review(*argv: str) -> int:
    return main(["review", *argv])


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, name="ana", password=PASSWORD, code=None, expect=302):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"username": name, "password": password, "code": code or "",
                                           "csrf_token": _csrf(page)})
    assert response.status_code == expect, response.get_data(as_text=True)[-500:]
    return client


@pytest.fixture
def clock():
    """A settable clock: tests move time forward."""
    class Clock:
        now = NOW

        def __call__(self):
            return self.now
    return Clock()


@pytest.fixture
def store(tmp_path, clock):
    review_store = ReviewStore(str(tmp_path / "r.sqlite"), clock=clock)
    review_store.add_flags([
        make_flag("yvr1", severity="TOP"),
        make_flag("yvr2", list_id="MEX-ALERTA", list_owner="MEX", receivers=["USA"]),
        make_flag("mia1", unit_id="jpau-mia", surname="MIAMI"),
    ])
    add_test_users(review_store)
    yield review_store
    review_store.close()


def test_passwords_are_argon2id_hashes_never_clear(store):
    with store.engine.connect() as conn:
        hashes = [row.password_hash for row in conn.execute(users_table.select())]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_lock_out_after_repeated_failures_then_unlock_after_the_wait(store, clock):
    accounts = Accounts(store)
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            accounts.authenticate("ana", "not the password")
    with pytest.raises(SignInRefused) as refused:
        accounts.authenticate("ana", PASSWORD)  # the right password no longer opens a locked account
    assert "locked until" in refused.value.reason
    actions = [e["action"] for e in store.access_log()]
    assert actions.count("LOGIN_FAILED") == MAX_FAILURES + 1 and actions.count("LOCKED") == 1
    clock.now = NOW + timedelta(minutes=16)
    assert accounts.authenticate("ana", PASSWORD).username == "ana"


def test_totp_is_required_once_enrolled_and_a_code_is_used_once(store, clock):
    accounts = Accounts(store)
    account, secret = accounts.add("tess", roles=["analyst"], units=["jpau-yvr"], country="CAN",
                                   password=PASSWORD, totp=True)
    code = pyotp.TOTP(secret).at(clock.now)
    with pytest.raises(SignInRefused):
        accounts.authenticate("tess", PASSWORD)
    viewer = accounts.authenticate("tess", PASSWORD, code)
    assert viewer.auth == "password+totp"
    with pytest.raises(SignInRefused, match="Sign-in refused"):
        accounts.authenticate("tess", PASSWORD, code)  # replayed


def test_users_cli_add_list_disable_reset(store, tmp_path, capsys):
    db = store.url.replace("sqlite:///", "")
    assert review("users", "add", "vic", "--role", "supervisor", "--unit", "jpau-yvr", "--country", "USA",
                  "--generate-password", "--db", db) == 0
    out = capsys.readouterr().out
    password = re.search(r"password \(shown once, not stored in clear\): (\S+)", out).group(1)
    assert Accounts(store).authenticate("vic", password).roles == frozenset({"supervisor"})
    assert review("users", "list", "--db", db) == 0
    listing = capsys.readouterr().out
    assert re.search(r"^vic\s+supervisor\s+jpau-yvr\s+USA\s+en\s+password\s+active", listing, re.M)
    assert password not in listing
    assert review("users", "disable", "vic", "--db", db) == 0
    with pytest.raises(SignInRefused):
        Accounts(store).authenticate("vic", password)
    assert review("users", "enable", "vic", "--db", db) == 0
    assert review("users", "reset", "vic", "--generate-password", "--db", db) == 0
    new = re.search(r"password \(shown once, not stored in clear\): (\S+)", capsys.readouterr().out).group(1)
    assert new != password and Accounts(store).authenticate("vic", new)
    # A MEX officer cannot join a CAN/USA unit; unknown units and roles are named.
    assert review("users", "add", "max", "--role", "analyst", "--unit", "jpau-yvr", "--country", "MEX",
                  "--generate-password", "--db", db) == 2
    assert "staffed by officers of CAN, USA, not MEX" in capsys.readouterr().err
    assert review("users", "add", "max", "--role", "boss", "--unit", "jpau-yvr", "--country", "USA",
                  "--generate-password", "--db", db) == 2
    assert "unknown role 'boss'" in capsys.readouterr().err
    log = [(e["action"], e["detail"]) for e in store.access_log()]
    assert ("USER_ADD", "vic: supervisor of jpau-yvr") in log and ("USER_DISABLE", "vic") in log
    assert not any(password in str(entry) or new in str(entry) for entry in store.access_log())


def test_each_user_sees_only_their_units_flags_in_pages_api_and_exports(store):
    app = create_app(store, secret_key=b"k", testing=True)
    ana = _sign_in(app.test_client(), "ana")
    mia = _sign_in(app.test_client(), "mia")
    assert re.findall(r'data-flag-id="([^"]+)"', ana.get("/?show=all").get_data(as_text=True)) == ["yvr1"]
    assert re.findall(r'data-flag-id="([^"]+)"', mia.get("/?show=all").get_data(as_text=True)) == ["mia1"]
    # by link and by id, page and API: the same 404 as a flag that does not exist
    for path in ("/flags/mia1", "/api/flags/mia1", "/flags/nope"):
        assert ana.get(path).status_code == 404
    assert ana.post("/flags/mia1/disposition", data={"csrf_token": _csrf(ana.get("/").get_data(as_text=True)),
                                                      "disposition": "FALSE_POSITIVE", "note": "x"}).status_code == 404
    assert [f["flag"]["flag_id"] for f in ana.get("/api/flags").get_json()["flags"]] == ["yvr1"]
    assert "MIAMI" not in ana.get("/overview").get_data(as_text=True)
    assert store.current_disposition("mia1") is None


def test_a_partner_never_sees_hits_the_list_owner_did_not_permit(store):
    # yvr2 is on Mexico's list, shared with the USA only: the US officer (sam) sees it, the
    # Canadian officer (ana) of the same unit does not, anywhere.
    app = create_app(store, secret_key=b"k", testing=True)
    ana, sam = _sign_in(app.test_client(), "ana"), _sign_in(app.test_client(), "sam")
    assert "yvr2" in re.findall(r'data-flag-id="([^"]+)"', sam.get("/?show=all").get_data(as_text=True))
    assert "yvr2" not in re.findall(r'data-flag-id="([^"]+)"', ana.get("/?show=all").get_data(as_text=True))
    assert ana.get("/flags/yvr2").status_code == 404
    assert partner_permitted({"list_owner": "USA"}, "CAN", ["CAN", "USA"])  # routing's guarantee
    assert not partner_permitted({"list_owner": "USA"}, "MEX", ["CAN", "USA"])
    assert not partner_permitted({"list_owner": "USA", "receivers": []}, "CAN", ["CAN", "USA"])


def test_roles_auditor_reads_log_and_decisions_never_decides_or_sees_travellers(store):
    app = create_app(store, secret_key=b"k", testing=True)
    ana, aud = _sign_in(app.test_client(), "ana"), _sign_in(app.test_client(), "aud")
    page = ana.get("/flags/yvr1").get_data(as_text=True)
    ana.post("/flags/yvr1/disposition", data={"csrf_token": _csrf(page), "disposition": "REFER_SECONDARY",
                                              "note": "unclear photo"})
    assert aud.get("/").status_code == 302  # straight to the decisions page
    for path in ("/flags/yvr1", "/api/flags", "/api/flags/yvr1", "/overview", "/cleared", "/cleared.csv"):
        assert aud.get(path).status_code == 403, path
    token = _csrf(aud.get("/decisions").get_data(as_text=True))
    assert aud.post("/flags/yvr1/disposition", data={"csrf_token": token, "disposition": "FALSE_POSITIVE",
                                                      "note": "auditor tries"}).status_code == 403
    assert store.current_disposition("yvr1")["disposition"] == "REFER_SECONDARY"
    decisions = aud.get("/decisions").get_data(as_text=True)
    assert "unclear photo" in decisions and "yvr1" in decisions and "DOE" not in decisions
    log = aud.get("/audit").get_data(as_text=True)
    assert "DECIDE" in log and "REFUSED" in log and "password" in log
    assert any(e["action"] == "REFUSED" and e["analyst"] == "aud" for e in store.access_log())


def test_supervisor_reopens_and_reassigns_with_a_note(store):
    app = create_app(store, secret_key=b"k", testing=True)
    ana, sam = _sign_in(app.test_client(), "ana"), _sign_in(app.test_client(), "sam")
    token = _csrf(ana.get("/flags/yvr1").get_data(as_text=True))
    ana.post("/flags/yvr1/disposition", data={"csrf_token": token, "disposition": "FALSE_POSITIVE", "note": "n1"})
    assert ana.post("/flags/yvr1/reopen", data={"csrf_token": token, "note": "x"}).status_code == 403
    token = _csrf(sam.get("/flags/yvr1").get_data(as_text=True))
    assert sam.post("/flags/yvr1/reopen", data={"csrf_token": token, "note": ""}).status_code == 400
    assert sam.post("/flags/yvr1/reopen", data={"csrf_token": token, "note": "DOB misread"}).status_code == 302
    assert store.cleared_travellers() == []  # the clearance is revoked with the reopening
    assert "yvr1" in re.findall(r'data-flag-id="([^"]+)"', ana.get("/").get_data(as_text=True))  # open again
    assert sam.post("/flags/yvr1/assign", data={"csrf_token": token, "assignee": "mia", "note": "x"}).status_code == 400
    assert sam.post("/flags/yvr1/assign", data={"csrf_token": token, "assignee": "ana",
                                                 "note": "your case"}).status_code == 302
    assert store.assignment_history("yvr1")[-1]["assignee"] == "ana"
    actions = [e["action"] for e in store.access_log(flag_id="yvr1")]
    assert "REOPEN" in actions and "REASSIGN" in actions


def test_sessions_end_when_idle_too_long_or_after_the_maximum_or_on_disable(store, monkeypatch):
    app = create_app(store, secret_key=b"k", testing=True,
                     settings=WebSettings(idle_minutes=15, max_hours=8))
    client = _sign_in(app.test_client(), "ana")
    assert client.get("/").status_code == 200
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + 16 * 60)
    assert client.get("/").status_code == 302  # idle
    monkeypatch.setattr(time, "time", lambda: start)
    client = _sign_in(app.test_client(), "ana")
    for minutes in range(10, 8 * 60, 10):  # active all along, still ends at 8 hours
        monkeypatch.setattr(time, "time", lambda m=minutes: start + m * 60)
        assert client.get("/").status_code == 200
    monkeypatch.setattr(time, "time", lambda: start + 8 * 3600 + 60)
    assert client.get("/").status_code == 302
    monkeypatch.setattr(time, "time", lambda: start)
    client = _sign_in(app.test_client(), "ana")
    Accounts(store).disable("ana")
    assert client.get("/").status_code == 302


def test_cookies_and_headers(store):
    app = create_app(store, secret_key=b"k", testing=True, settings=WebSettings(secure_cookies=True))
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert cookie.startswith("__Host-")
    headers = page.headers
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    for name in ("X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Permissions-Policy",
                 "Cross-Origin-Opener-Policy"):
        assert name in headers


def test_a_new_session_at_every_sign_in(store):
    app = create_app(store, secret_key=b"k", testing=True)
    client = app.test_client()
    before = _csrf(client.get("/login").get_data(as_text=True))
    _sign_in(client, "ana")
    assert _csrf(client.get("/").get_data(as_text=True)) != before


def test_the_cli_applies_the_accounts_roles_and_units(store, capsys):
    db = store.url.replace("sqlite:///", "")
    assert review("show", "mia1", "--db", db, "--analyst", "ana") == 2
    assert "no flag with id 'mia1'" in capsys.readouterr().err
    assert review("decide", "yvr1", "--db", db, "--analyst", "aud", "--disposition", "false-positive",
                  "--note", "x") == 2
    assert "may not decide" in capsys.readouterr().err
    assert review("list", "--db", db, "--analyst", "ghost") == 2
    assert "no account named 'ghost'" in capsys.readouterr().err


def test_viewer_permissions():
    auditor = Viewer("a", frozenset({"auditor"}), ("jpau-yvr",), "CAN")
    assert auditor.can("audit") and auditor.can("decisions")
    assert not any(auditor.can(action) for action in ("view", "decide", "list", "export", "reopen"))
    supervisor = Viewer("s", frozenset({"supervisor"}), ("jpau-yvr",), "USA")
    assert all(supervisor.can(action) for action in ("view", "decide", "reopen", "reassign", "audit"))


def _self_signed(tmp_path):
    import ipaddress
    from datetime import datetime, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_serve_over_tls_with_secure_cookies_and_hsts(store, tmp_path):
    import threading

    import requests

    from pipelines.review.web import check_bind, make_review_server

    cert, key = _self_signed(tmp_path)
    assert check_bind("0.0.0.0", tls=True) == "0.0.0.0"  # any address, but only with TLS
    with pytest.raises(ValueError, match="without TLS"):
        check_bind("0.0.0.0", tls=False)
    server = make_review_server(store, "127.0.0.1", 0, tls_cert=cert, tls_key=key)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_port}/login"
        response = requests.get(url, verify=cert, timeout=30)
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-paxshare-review=") and "Secure" in cookie and "HttpOnly" in cookie
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url.replace("https", "http"), timeout=30)  # no plain HTTP on the TLS port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
