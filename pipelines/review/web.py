"""The analysts' web app: priority list, one flag in detail, dispositions, overview charts.

A small Flask app over a ``ReviewStore``. It runs on the analyst's own machine and binds to the
loopback interface only (``serve`` refuses anything else): there is no authentication yet, the
analyst id typed at sign-in is recorded as given. Every page that shows a flag logs the view; every
decision needs a note. The app only records human decisions: no flag becomes an adverse action
without one, and every page says so.

Nothing is fetched from the internet: charts are server-side SVG, styles are in ``static/``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import threading
from typing import Iterator

from flask import (Flask, Response, abort, flash, g, redirect, render_template, request, session,
                   url_for)

from pipelines.review import charts
from pipelines.review.cleared import CLEARED_COLUMNS, cleared_records, cleared_text
from pipelines.review.flag_view import explanation_lines, side_by_side, traveller_label
from pipelines.review.priority import describe_time_to_departure, departure_of, prioritise
from pipelines.review.store import (DISPOSITION_LABELS, DISPOSITIONS, LIST_FILTERS, ReviewError,
                                    ReviewStore, check_analyst)

__all__ = ["create_app", "serve", "running_server", "check_loopback", "LIST_FILTERS"]

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def check_loopback(host: str) -> str:
    """The host if it is a loopback address (or 'localhost'); anything else raises ValueError."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"refusing to listen on {host!r}: the review app has no authentication yet and "
                     "binds to 127.0.0.1 (or another loopback address) only")


def _list_row(row: dict, now) -> dict:
    """What one line of the priority list shows."""
    flag = row["flag"]
    departure = departure_of(flag)
    return {
        **row,
        "flag_id": flag.get("flag_id"),
        "traveller": traveller_label(flag),
        "departure": departure.strftime("%Y-%m-%d %H:%M") if departure else "",
        "time_to_departure": describe_time_to_departure(flag, now),
    }


def create_app(store: ReviewStore, *, secret_key: bytes | None = None, testing: bool = False) -> Flask:
    """A Flask app bound to ``store``. Sessions last as long as the process (random key)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or os.urandom(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        TESTING=testing,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.jinja_env.autoescape = True
    app.extensions["review_store"] = store

    @app.context_processor
    def _globals():
        return {"analyst": session.get("analyst"), "csrf_token": _csrf_token(),
                "disposition_labels": DISPOSITION_LABELS}

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.before_request
    def _require_analyst():
        if request.method == "POST" and not _csrf_ok():
            abort(400, description="The form expired or did not come from this app; reload and try again.")
        if request.endpoint in ("login", "static") or request.endpoint is None:
            return None
        if not session.get("analyst"):
            return redirect(url_for("login", next=request.full_path if request.method == "GET" else None))
        g.analyst = session["analyst"]
        return None

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            try:
                session["analyst"] = check_analyst(request.form.get("analyst"))
            except ReviewError as problem:
                error = str(problem)
            else:
                store.log_access(session["analyst"], "LOGIN")
                return redirect(_safe_next(request.args.get("next")))
        return render_template("login.html", error=error), (400 if error else 200)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    def priority_list():
        shown = request.args.get("show", "open")
        if shown not in LIST_FILTERS:
            shown = "open"
        now = store.clock()
        rows = [row for row in store.review_rows() if row["status"] in LIST_FILTERS[shown]]
        ordered = [_list_row(row, now) for row in prioritise(rows, now, flag_of=lambda r: r["flag"])]
        store.log_access(g.analyst, "LIST", None, f"{shown}: {len(ordered)} flags")
        return render_template("list.html", rows=ordered, shown=shown, filters=list(LIST_FILTERS), now=now)

    def render_detail(flag_id: str, flag: dict, form, error: str | None = None):
        now = store.clock()
        entry = store.get_entry(flag.get("list_id"), flag.get("entry_id"))
        return render_template(
            "detail.html", flag=flag, flag_id=flag_id, entry=entry, error=error,
            traveller=traveller_label(flag), comparison=side_by_side(flag, entry),
            explanation=explanation_lines(flag), history=store.disposition_history(flag_id),
            accesses=store.access_log(flag_id=flag_id, limit=50),
            departure=departure_of(flag), time_to_departure=describe_time_to_departure(flag, now),
            dispositions=DISPOSITIONS, form=form,
        )

    @app.get("/flags/<flag_id>")
    def flag_detail(flag_id: str):
        try:
            flag = store.view_flag(flag_id, g.analyst)
        except ReviewError:
            abort(404, description=f"No flag with id {flag_id}.")
        return render_detail(flag_id, flag, {})

    @app.post("/flags/<flag_id>/disposition")
    def decide(flag_id: str):
        try:
            flag = store.get_flag(flag_id)
        except ReviewError:
            abort(404, description=f"No flag with id {flag_id}.")
        try:
            recorded = store.record_disposition(flag_id, request.form.get("disposition", ""),
                                                request.form.get("note", ""), g.analyst)
        except ReviewError as problem:
            # Show the form again with what the analyst typed (never put the note in a URL).
            return render_detail(flag_id, flag, request.form, error=str(problem)), 400
        flash(f"Recorded: {DISPOSITION_LABELS[recorded['disposition']]}.", "ok")
        return redirect(url_for("flag_detail", flag_id=flag_id))

    @app.get("/overview")
    def overview():
        rows = store.review_rows()
        now = store.clock()
        store.log_access(g.analyst, "OVERVIEW", None, f"{len(rows)} flags")
        return render_template(
            "overview.html", total=len(rows), now=now,
            open_count=sum(1 for row in rows if not row["disposition"]),
            severity_svg=charts.severity_chart(rows),
            timeline_svg=charts.flight_timeline_chart(rows, now),
            score_svg=charts.score_histogram(rows),
        )

    @app.get("/audit")
    def audit():
        return render_template("audit.html", entries=store.access_log(limit=500))

    @app.get("/cleared")
    def cleared():
        return render_template("cleared.html", records=cleared_records(store.cleared_travellers()),
                               columns=CLEARED_COLUMNS)

    @app.get("/cleared.<fmt>")
    def cleared_download(fmt: str):
        if fmt not in ("csv", "json"):
            abort(404)
        records = cleared_records(store.cleared_travellers())
        body = cleared_text(records, fmt, generated=store.clock())
        store.log_access(g.analyst, "EXPORT", None, f"{len(records)} cleared travellers as {fmt}")
        mimetype = "application/json" if fmt == "json" else "text/csv"
        return Response(body, mimetype=mimetype,
                        headers={"Content-Disposition": f"attachment; filename=cleared_travellers.{fmt}"})

    @app.errorhandler(400)
    @app.errorhandler(404)
    def _error(error):
        return render_template("error.html", error=error), error.code

    return app


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
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("priority_list")


def serve(store: ReviewStore, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Run the app until interrupted, on a loopback address only."""
    from werkzeug.serving import make_server

    server = make_server(check_loopback(host), port, create_app(store), threaded=True)
    print(f"paxshare review: http://{host}:{server.server_port}/  (loopback only; Ctrl-C stops)")
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
