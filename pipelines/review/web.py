"""The analysts' web app: sign-in, priority list, one flag in detail, dispositions, charts, audit.

A Flask app over a ``ReviewStore``:

- **Sign-in**: local accounts (argon2id password, optional TOTP, lock-out after repeated failures;
  ``pipelines.review.accounts``) and, when configured, OpenID Connect through the agency's own
  provider (authorisation code flow with PKCE, Authlib; ``pipelines.review.oidc``).
- **Sessions**: a signed cookie, HttpOnly, SameSite=Lax, Secure behind TLS; it ends after
  ``idle_minutes`` without a request and ``max_hours`` after sign-in, and at once when the account
  is disabled or its password reset. Every form carries a CSRF token.
- **Authorisation**: roles and units (``pipelines.review.access``) on every page, API and export;
  another unit's flag answers 404 exactly as a missing one.
- **Headers**: a strict Content-Security-Policy (no script at all, styles from this app only) and
  the usual others; HSTS when served over TLS.
- **Languages and clocks**: English, French and Spanish through gettext catalogs (Flask-Babel),
  chosen per user; times in the unit's time zone, UTC one click away.

Every page that shows a flag logs the view with the verified identity; every decision needs a
note; no flag becomes an adverse action without a human disposition, and every page says so.
Nothing is fetched from the internet: charts are server-side SVG, styles are in ``static/``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import datetime, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

from flask import (Flask, Response, abort, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_babel import Babel
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from pipelines.review import charts
from pipelines.review.access import ROLE_LABELS, Forbidden
from pipelines.review.accounts import Accounts, SignInRefused
from pipelines.review.i18n import LANGUAGES
from pipelines.review.cleared import CLEARED_COLUMNS, cleared_records, cleared_text
from pipelines.review.flag_view import explanation_lines, side_by_side, traveller_label
from pipelines.review.priority import departure_of, describe_time_to_departure, parse_utc, prioritise
from pipelines.review.store import (DISPOSITION_LABELS, DISPOSITIONS, HISTORY_LABELS, LIST_FILTERS,
                                    ReviewError, ReviewStore)

__all__ = ["create_app", "serve", "make_review_server", "running_server", "check_bind", "check_loopback", "LIST_FILTERS",
           "WebSettings"]

_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' {oidc}; "
        "frame-ancestors 'none'; base-uri 'none'")
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
#: Failed sign-ins from one address within the window before it must wait (besides per-account lock-out).
ADDRESS_FAILURES, ADDRESS_WINDOW_SECONDS = 20, 600

_LABELS = {
    "CONFIRMED_MATCH": lazy_gettext("Confirmed match"),
    "FALSE_POSITIVE": lazy_gettext("False positive"),
    "REFER_SECONDARY": lazy_gettext("Refer to secondary inspection"),
    "REOPENED": lazy_gettext("Reopened by a supervisor"),
}
_ROLE_NAMES = {"analyst": lazy_gettext("Analyst"), "supervisor": lazy_gettext("Supervisor"),
               "auditor": lazy_gettext("Privacy auditor")}
#: The side-by-side table's row names and agreements (flag_view's English words) in the user's language.
_COMPARISON_WORDS = {
    "Name": lazy_gettext("Name"), "Date of birth": lazy_gettext("Date of birth"), "Sex": lazy_gettext("Sex"),
    "Nationality": lazy_gettext("Nationality"), "Document": lazy_gettext("Document"),
    "same": lazy_gettext("same"), "different": lazy_gettext("different"), "consistent": lazy_gettext("consistent"),
}
_STATUS_NAMES = {"NEW": lazy_gettext("new"), "IN_PROGRESS": lazy_gettext("in progress"),
                 "REVIEWED": lazy_gettext("reviewed")}
_FILTER_NAMES = {"open": lazy_gettext("Open"), "decided": lazy_gettext("Decided"), "all": lazy_gettext("All")}
assert set(_LABELS) == set(HISTORY_LABELS) and set(_ROLE_NAMES) == set(ROLE_LABELS)


class WebSettings:
    """How the app runs: cookie security, time-outs, the OpenID Provider (or None)."""

    def __init__(self, *, secure_cookies: bool = False, idle_minutes: float = 15, max_hours: float = 10,
                 oidc=None, behind_proxy: bool = False):
        self.secure_cookies = secure_cookies
        self.idle_seconds = idle_minutes * 60
        self.max_seconds = max_hours * 3600
        self.oidc = oidc
        self.behind_proxy = behind_proxy


def check_loopback(host: str) -> str:
    """The host if it is a loopback address (or 'localhost'); anything else raises ValueError."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"refusing to listen on {host!r} without TLS: give --tls-cert and --tls-key, or keep "
                     "127.0.0.1 and terminate TLS in a proxy in front (see docs/review.md)")


def check_bind(host: str, tls: bool) -> str:
    """Loopback always; any other address only with TLS, since sessions and passwords cross it."""
    return host if tls else check_loopback(host)


def create_app(store: ReviewStore, *, secret_key: bytes | None = None, testing: bool = False,
               settings: WebSettings | None = None) -> Flask:
    """A Flask app bound to ``store``. Sessions last at most as long as the process (random key)."""
    settings = settings or WebSettings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or os.urandom(32),
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: the OpenID Provider's redirect back must carry the session (state, PKCE
        # verifier); every state-changing request is a POST with a CSRF token anyway.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="__Host-paxshare-review" if settings.secure_cookies else "paxshare-review",
        TESTING=testing,
        MAX_CONTENT_LENGTH=64 * 1024,
        BABEL_DEFAULT_LOCALE="en",
    )
    if settings.behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.jinja_env.autoescape = True
    app.extensions["review_store"] = store
    accounts = Accounts(store)
    failures_by_address: dict[str, deque] = defaultdict(deque)
    oidc = None
    if settings.oidc is not None:
        from pipelines.review.oidc import register
        oidc = register(app, settings.oidc)
    csp = _CSP.format(oidc=settings.oidc.issuer if settings.oidc else "").replace("  ", " ")

    def viewer_language() -> str:
        viewer = getattr(g, "viewer", None)
        if viewer is not None and viewer.language in LANGUAGES:
            return viewer.language
        return request.accept_languages.best_match(list(LANGUAGES)) or "en"

    Babel(app, locale_selector=viewer_language)

    @app.context_processor
    def _globals():
        viewer = getattr(g, "viewer", None)
        return {"viewer": viewer, "analyst": viewer.username if viewer else None,
                "csrf_token": _csrf_token(), "disposition_labels": _LABELS, "role_names": _ROLE_NAMES,
                "words": _COMPARISON_WORDS, "status_names": _STATUS_NAMES,
                "languages": LANGUAGES, "language": viewer_language(), "oidc_enabled": oidc is not None,
                "oidc_name": settings.oidc.display_name if settings.oidc else None,
                "when": when, "zone_label": zone_label(), "show_utc": session.get("utc", False)}

    def zone() -> ZoneInfo | timezone:
        viewer = getattr(g, "viewer", None)
        if viewer is None or session.get("utc"):
            return timezone.utc
        return store.unit_time_zone(viewer.units[0])

    def zone_label() -> str:
        chosen = zone()
        return "UTC" if chosen is timezone.utc else str(chosen)

    def when(value, with_zone: bool = True) -> str:
        """An ISO time or datetime in the viewer's unit's zone (or UTC), 'YYYY-MM-DD HH:MM ZZZ'."""
        moment = parse_utc(value) if not isinstance(value, datetime) else value
        if moment is None:
            return str(value or "")
        local = moment.astimezone(zone())
        return local.strftime("%Y-%m-%d %H:%M") + (" " + (local.tzname() or "") if with_zone else "")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    public_endpoints = {"login", "static", "oidc_login", "oidc_callback"}

    @app.before_request
    def _require_sign_in():
        if request.method == "POST" and not _csrf_ok():
            abort(400, description=_("The form expired or did not come from this app; reload and try again."))
        if request.endpoint in public_endpoints or request.endpoint is None:
            return None
        now = time.time()
        viewer = None
        if "user" in session:
            fresh = (now - session.get("seen_at", 0) <= settings.idle_seconds
                     and now - session.get("signed_in_at", 0) <= settings.max_seconds)
            viewer = accounts.current(session["user"], session.get("epoch", -1), session.get("auth", "")) \
                if fresh else None
            if viewer is None:
                session.clear()
                flash(_("Your session ended; please sign in again."), "error")
        if viewer is None:
            return redirect(url_for("login", next=request.full_path if request.method == "GET" else None))
        session["seen_at"] = now
        g.viewer = viewer
        return None

    def remote() -> str | None:
        return request.remote_addr

    def start_session(viewer) -> None:
        session.clear()  # a fresh session (and CSRF token) at every sign-in: no fixation
        account = accounts.get(viewer.username)
        session.update(user=viewer.username, epoch=account.session_epoch, auth=viewer.auth,
                       signed_in_at=time.time(), seen_at=time.time())
        session.permanent = False

    def address_blocked() -> bool:
        window = failures_by_address[remote() or "-"]
        while window and window[0] < time.time() - ADDRESS_WINDOW_SECONDS:
            window.popleft()
        return len(window) >= ADDRESS_FAILURES

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error, status = None, 200
        if request.method == "POST":
            if address_blocked():
                error, status = _("Too many failed sign-ins from this address; wait a few minutes."), 429
            else:
                try:
                    viewer = accounts.authenticate(request.form.get("username", ""), request.form.get("password", ""),
                                                   request.form.get("code"), remote=remote())
                except SignInRefused:
                    failures_by_address[remote() or "-"].append(time.time())
                    error, status = _("Sign-in refused: wrong name, password or code, or the account is "
                                      "locked for a while."), 401
                else:
                    start_session(viewer)
                    return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", error=error), status

    if oidc is not None:
        @app.get("/login/oidc")
        def oidc_login():
            session["oidc_next"] = _safe_next(request.args.get("next"))
            return oidc.authorize_redirect(url_for("oidc_callback", _external=True))

        @app.get("/login/oidc/callback")
        def oidc_callback():
            from pipelines.review.oidc import OIDCRefused, verified_subject

            try:
                subject, claims = verified_subject(oidc, settings.oidc)
            except OIDCRefused as problem:
                store.log_access("-", "LOGIN_FAILED", None, f"OpenID Connect: {problem}", auth="unverified",
                                 remote=remote())
                return render_template("login.html", error=_("Sign-in through your agency failed: %(why)s",
                                                              why=str(problem))), 401
            account = accounts.find_by_subject(subject)
            if account is None or account.disabled:
                store.log_access(str(claims.get("preferred_username") or claims.get("sub"))[:64], "LOGIN_FAILED",
                                 None, f"OpenID subject {subject} has no enabled account here",
                                 auth=f"oidc:{settings.oidc.issuer}", remote=remote())
                return render_template("login.html", error=_("Your agency signed you in, but you have no "
                                                              "enabled account in this review.")), 403
            viewer = accounts.signed_in(account, f"oidc:{settings.oidc.issuer}", remote())
            next_page = session.get("oidc_next")
            start_session(viewer)
            return redirect(_safe_next(next_page))

    @app.post("/logout")
    def logout():
        store.log_access(None, "LOGOUT", viewer=g.viewer, remote=remote())
        session.clear()
        return redirect(url_for("login"))

    @app.post("/preferences")
    def preferences():
        language = request.form.get("language")
        if language in LANGUAGES:
            accounts.set_language(g.viewer.username, language)
        if "utc" in request.form:
            session["utc"] = request.form.get("utc") == "1"
        return redirect(_safe_next(request.form.get("back")))

    @app.get("/")
    def priority_list():
        if not g.viewer.can("list"):
            return redirect(url_for("decisions"))
        shown = request.args.get("show", "open")
        if shown not in LIST_FILTERS:
            shown = "open"
        now = store.clock()
        rows = [row for row in store.review_rows(g.viewer) if row["status"] in LIST_FILTERS[shown]]
        ordered = [_list_row(row, now) for row in prioritise(rows, now, flag_of=lambda r: r["flag"])]
        store.log_access(None, "LIST", None, f"{shown}: {len(ordered)} flags", viewer=g.viewer, remote=remote())
        return render_template("list.html", rows=ordered, shown=shown, filters=_FILTER_NAMES, now=now)

    def render_detail(flag_id: str, flag: dict, form, error: str | None = None):
        now = store.clock()
        entry = store.get_entry(flag.get("list_id"), flag.get("entry_id"))
        members = [a.username for a in accounts.list()
                   if flag.get("unit_id") in a.units and not a.disabled and set(a.roles) & {"analyst", "supervisor"}]
        return render_template(
            "detail.html", flag=flag, flag_id=flag_id, entry=entry, error=error,
            traveller=traveller_label(flag), comparison=side_by_side(flag, entry),
            explanation=explanation_lines(flag), history=store.disposition_history(flag_id),
            assignments=store.assignment_history(flag_id), colleagues=members,
            accesses=store.access_log(flag_id=flag_id, limit=50, viewer=g.viewer),
            departure=departure_of(flag), time_to_departure=describe_time_to_departure(flag, now, _),
            dispositions=DISPOSITIONS, form=form,
        )

    def visible_flag(flag_id: str, action: str) -> dict:
        g.viewer.require(action)
        try:
            return store.get_flag(flag_id, g.viewer)
        except ReviewError:
            abort(404, description=_("No flag with id %(id)s.", id=flag_id))

    @app.get("/flags/<flag_id>")
    def flag_detail(flag_id: str):
        visible_flag(flag_id, "view")
        flag = store.view_flag(flag_id, viewer=g.viewer, remote=remote())
        return render_detail(flag_id, flag, {})

    @app.post("/flags/<flag_id>/disposition")
    def decide(flag_id: str):
        flag = visible_flag(flag_id, "decide")
        try:
            recorded = store.record_disposition(flag_id, request.form.get("disposition", ""),
                                                request.form.get("note", ""), viewer=g.viewer, remote=remote())
        except ReviewError as problem:
            # Show the form again with what the analyst typed (never put the note in a URL).
            return render_detail(flag_id, flag, request.form, error=str(problem)), 400
        flash(_("Recorded: %(what)s.", what=_LABELS[recorded["disposition"]]), "ok")
        return redirect(url_for("flag_detail", flag_id=flag_id))

    @app.post("/flags/<flag_id>/reopen")
    def reopen(flag_id: str):
        flag = visible_flag(flag_id, "reopen")
        try:
            store.reopen(flag_id, request.form.get("note", ""), viewer=g.viewer, remote=remote())
        except ReviewError as problem:
            return render_detail(flag_id, flag, request.form, error=str(problem)), 400
        flash(_("Reopened."), "ok")
        return redirect(url_for("flag_detail", flag_id=flag_id))

    @app.post("/flags/<flag_id>/assign")
    def reassign(flag_id: str):
        flag = visible_flag(flag_id, "reassign")
        target = accounts.find(request.form.get("assignee"))
        try:
            if target is None or target.disabled:
                raise ReviewError(_("choose an active colleague of this unit"))
            store.reassign(flag_id, target.username, request.form.get("note", ""), viewer=g.viewer,
                           remote=remote(), assignee_units=target.units)
        except ReviewError as problem:
            return render_detail(flag_id, flag, request.form, error=str(problem)), 400
        flash(_("Assigned to %(name)s.", name=target.username), "ok")
        return redirect(url_for("flag_detail", flag_id=flag_id))

    @app.get("/overview")
    def overview():
        g.viewer.require("overview")
        rows = store.review_rows(g.viewer)
        now = store.clock()
        store.log_access(None, "OVERVIEW", None, f"{len(rows)} flags", viewer=g.viewer, remote=remote())
        return render_template(
            "overview.html", total=len(rows), now=now,
            open_count=sum(1 for row in rows if not row["disposition"]),
            severity_svg=charts.severity_chart(rows),
            timeline_svg=charts.flight_timeline_chart(rows, now),
            score_svg=charts.score_histogram(rows),
        )

    @app.get("/audit")
    def audit():
        g.viewer.require("audit")
        entries = store.access_log(limit=500, viewer=g.viewer)
        store.log_access(None, "AUDIT", None, f"access log: {len(entries)} entries", viewer=g.viewer,
                         remote=remote())
        return render_template("audit.html", entries=entries)

    @app.get("/decisions")
    def decisions():
        """Every decision on the viewer's units' flags: who, what, when, why; no traveller details."""
        g.viewer.require("decisions")
        rows = store.decision_log(viewer=g.viewer)
        store.log_access(None, "DECISIONS", None, f"{len(rows)} decisions", viewer=g.viewer, remote=remote())
        return render_template("decisions.html", rows=rows)

    @app.get("/cleared")
    def cleared():
        g.viewer.require("export")
        records = cleared_records(store.cleared_travellers(viewer=g.viewer))
        store.log_access(None, "CLEARED", None, f"{len(records)} cleared travellers shown", viewer=g.viewer,
                         remote=remote())
        return render_template("cleared.html", records=records, columns=CLEARED_COLUMNS)

    @app.get("/cleared.<fmt>")
    def cleared_download(fmt: str):
        g.viewer.require("export")
        if fmt not in ("csv", "json"):
            abort(404)
        records = cleared_records(store.cleared_travellers(viewer=g.viewer))
        body = cleared_text(records, fmt, generated=store.clock())
        store.log_access(None, "EXPORT", None, f"{len(records)} cleared travellers as {fmt}", viewer=g.viewer,
                         remote=remote())
        mimetype = "application/json" if fmt == "json" else "text/csv"
        return Response(body, mimetype=mimetype,
                        headers={"Content-Disposition": f"attachment; filename=cleared_travellers.{fmt}"})

    @app.get("/api/flags")
    def api_flags():
        """The viewer's open flags in priority order as JSON (same rules as the list page)."""
        g.viewer.require("list")
        now = store.clock()
        rows = [row for row in store.review_rows(g.viewer) if row["status"] in LIST_FILTERS["open"]]
        ordered = prioritise(rows, now, flag_of=lambda r: r["flag"])
        store.log_access(None, "LIST", None, f"api: {len(ordered)} flags", viewer=g.viewer, remote=remote())
        return {"flags": [{"status": row["status"], "assignee": row["assignee"], "flag": row["flag"]}
                          for row in ordered]}

    @app.get("/api/flags/<flag_id>")
    def api_flag(flag_id: str):
        visible_flag(flag_id, "view")
        flag = store.view_flag(flag_id, viewer=g.viewer, remote=remote())
        return {"flag": flag, "dispositions": store.disposition_history(flag_id)}

    @app.errorhandler(Forbidden)
    def _forbidden(problem):
        store.log_access(None, "REFUSED", None, str(problem), viewer=g.viewer, remote=remote())
        return render_template("error.html", code=403, name=_("Not allowed"),
                               description=_("Your role does not allow this.")), 403

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def _error(error):
        return render_template("error.html", code=error.code, name=error.name,
                               description=error.description), error.code

    return app


def _list_row(row: dict, now) -> dict:
    """What one line of the priority list shows."""
    flag = row["flag"]
    return {
        **row,
        "flag_id": flag.get("flag_id"),
        "traveller": traveller_label(flag),
        "departure": departure_of(flag),
        "time_to_departure": describe_time_to_departure(flag, now, _),
    }


def _csrf_token() -> str:
    """Per-session random token that every form posts back."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    return bool(sent) and secrets.compare_digest(sent, session.get("csrf", ""))


def _safe_next(target: str | None) -> str:
    """Only same-site paths after sign-in, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("priority_list")


def make_review_server(store: ReviewStore, host: str = "127.0.0.1", port: int = 8080, *,
                       tls_cert: str | None = None, tls_key: str | None = None,
                       settings: WebSettings | None = None):
    """The WSGI server for the app: loopback only, or any address with TLS (1.2 or later)."""
    from werkzeug.serving import make_server

    if bool(tls_cert) != bool(tls_key):
        raise ValueError("give both --tls-cert and --tls-key")
    tls = bool(tls_cert)
    settings = settings or WebSettings()
    settings.secure_cookies = settings.secure_cookies or tls
    context = None
    if tls:
        import ssl
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(tls_cert, tls_key)
    return make_server(check_bind(host, tls), port, create_app(store, settings=settings), threaded=True,
                       ssl_context=context)


def serve(store: ReviewStore, host: str = "127.0.0.1", port: int = 8080, *, tls_cert: str | None = None,
          tls_key: str | None = None, settings: WebSettings | None = None) -> None:
    """Run the app until interrupted: loopback only, or any address with TLS."""
    server = make_review_server(store, host, port, tls_cert=tls_cert, tls_key=tls_key, settings=settings)
    scheme = "https" if tls_cert else "http"
    where = "" if tls_cert else "  (loopback only)"
    print(f"paxshare review: {scheme}://{host}:{server.server_port}/{where}  (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextlib.contextmanager
def running_server(app: Flask, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` in a thread for the block (tests, demos); yields the base URL, then stops."""
    from werkzeug.serving import make_server

    server = make_server(check_loopback(host), port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="paxshare-review-web", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
