"""The phone app: testers log in, see the calls given to them and record each call; coordinators follow the
round, share calls and download the entries.

The routes are thin: `PhoneDesk` and the account and assignment functions do the work. Errors become pages
in one place (`_error`), in bokmål. Sessions are signed cookies (the key comes from the environment); every
form carries a per-session CSRF token; pages are never cached, so a shared laptop shows no one else's calls.
Nothing here logs a tester's name or password.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from kommunetest.channels.phone.accounts import (
    authenticate,
    create_tester,
    is_locked,
    set_active,
    set_password,
)
from kommunetest.channels.phone.assign import assign_round, progress, reassign
from kommunetest.channels.phone.calls import PhoneDesk
from kommunetest.channels.phone.entry import form_from_data
from kommunetest.channels.phone.export import entries_csv
from kommunetest.errors import (
    AccessDenied,
    ConfigError,
    ConflictError,
    KommunetestError,
    NotFoundError,
    UsageError,
    ValidationError,
)
from kommunetest.i18n import Msg, format_datetime, format_number, ngettext, translate
from kommunetest.i18n import gettext as _
from kommunetest.scenarios import PhoneSpec, QuestionBank
from kommunetest.settings import Settings
from kommunetest.store import Store

STATUS = {
    AccessDenied: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    UsageError: 400,
}
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'"


def create_app(settings: Settings, store: Store, bank: QuestionBank) -> Flask:
    app = Flask(__name__)
    ps = settings.phone
    if ps.secret_key is not None and len(ps.secret_key) < 32:
        raise ConfigError(
            f"KOMMUNETEST_PHONE_SECRET_KEY is {len(ps.secret_key)} characters long: too short to sign sessions",
            hint="use 32 or more random characters, e.g. from `python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`",
        )
    app.config.update(
        SECRET_KEY=ps.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_NAME="kommunetest_phone",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=ps.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=ps.session_hours),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    desk = PhoneDesk(store, bank, settings)
    min_length = ps.min_password_length
    app.jinja_env.globals.update(_=_, ngettext=ngettext, translate=translate, csrf=_csrf_token)
    app.jinja_env.filters.update(when=lambda v: format_datetime(v, tz=settings.calendar.timezone))

    @app.before_request
    def _load_tester() -> Any:
        g.tester = None
        tid = session.get("tester_id")
        if tid is not None:
            row = store.tester(tester_id=tid)
            # Logging out, a new password or switching the account off ends every session of the account
            # (sessions are signed cookies: the epoch in the database is what can take them back).
            if row and row["active"] and session.get("epoch") == row["session_epoch"]:
                g.tester = row
            else:
                session.clear()
        if request.method == "POST" and request.endpoint != "static":
            sent = request.form.get("csrf", "")
            if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
                return _page(
                    "error.html", 400, message=_("The form had expired."),
                    hint=_("Go back, reload the page and send it again. Nothing was saved."),
                )  # fmt: skip
        return None

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        if request.endpoint != "static":
            resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(KommunetestError)
    def _error(e: KommunetestError) -> Response:
        return _page(
            "error.html", STATUS.get(type(e), 400), message=translate(e.message), hint=translate(e.hint)
        )

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Response:
        messages = {404: _("There is no such page."), 405: _("That is not allowed here."),
                    413: _("The form is too large.")}  # fmt: skip
        return _page("error.html", e.code or 500, message=messages.get(e.code or 0, _("Something went wrong.")),
                     hint="")  # fmt: skip

    def login_required(coordinator: bool = False) -> Any:
        def deco(fn: Any) -> Any:
            @wraps(fn)
            def inner(*a: Any, **kw: Any) -> Any:
                if g.tester is None:
                    return redirect(url_for("login", next=request.full_path.rstrip("?")))
                if coordinator and g.tester["role"] != "coordinator":
                    raise AccessDenied(Msg("this page is for coordinators"))
                return fn(*a, **kw)

            return inner

        return deco

    @app.get("/healthz")
    def healthz() -> Response:
        store.schema_version()
        return Response("ok\n", mimetype="text/plain")

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = _safe_next(request.values.get("next", ""))
        if request.method == "GET":
            return _page("login.html", 200, error=None, username="", next=target)
        username = request.form.get("username", "")
        try:
            tester = authenticate(store, username, request.form.get("password", ""), settings.phone)
        except AccessDenied as e:
            return _page("login.html", 401, error=_message(e), username=username, next=target)
        session.clear()
        session.permanent = True
        session.update(tester_id=tester["id"], epoch=tester["session_epoch"], csrf=secrets.token_urlsafe(24))
        return redirect(target or url_for("calls"))

    @app.post("/logout")
    def logout() -> Any:
        if g.tester is not None:
            store.end_sessions(g.tester["id"])
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required()
    def calls() -> Any:
        now = datetime.now(UTC)
        rows = desk.calls(tester_id=g.tester["id"])
        groups = _group_calls(rows, now, desk.tz)
        return _page("calls.html", 200, groups=groups, total=len(rows), saved=request.args.get("saved"))

    @app.get("/call/<path:probe_id>")
    @login_required()
    def call(probe_id: str) -> Any:
        c = desk.call(probe_id, g.tester)
        edit = request.args.get("edit", type=int)
        return _call_page(desk, c, edit=edit, form=None, problems=None, status=200)

    @app.post("/call/<path:probe_id>")
    @login_required()
    def record(probe_id: str) -> Any:
        f = request.form
        attempt = f.get("attempt", type=int) or 0
        base = f.get("base_revision", type=int) or 0
        form = {
            k: v for k, v in f.items() if k not in ("csrf", "nonce", "attempt", "base_revision", "reason")
        }
        try:
            desk.record(probe_id, g.tester, form, nonce=f.get("nonce", ""), attempt=attempt, base_revision=base,
                        reason=f.get("reason", ""))  # fmt: skip
        except (ValidationError, UsageError, ConflictError) as e:
            c = desk.call(probe_id, g.tester)
            status = STATUS.get(type(e), 400)
            problems = e.problems if isinstance(e, ValidationError) else None
            message = None if problems else _message(e)
            return _call_page(desk, c, edit=attempt if base else None, form=dict(f), problems=problems,
                              status=status, message=message)  # fmt: skip
        return redirect(url_for("calls", saved=probe_id))

    # ------------------------------------------------------------ coordinators

    @app.get("/coordinator")
    @login_required(coordinator=True)
    def coordinator() -> Any:
        counts = [progress(desk, r["name"]) for r in store.list_rounds()]
        return _page("coordinator.html", 200, rounds=[c for c in counts if c["calls"]])

    @app.get("/coordinator/<round_name>")
    @login_required(coordinator=True)
    def round_page(round_name: str) -> Any:
        store.get_round(round_name)
        rows = desk.calls(round_name=round_name)
        testers = store.testers()
        names = {t["id"]: t["username"] for t in testers}
        state = request.args.get("state", "")
        who = request.args.get("tester", "")
        shown = [
            r for r in rows
            if (not state or r["state"].status == state)
            and (not who or names.get(r["tester_id"], "-") == who or (who == "-" and r["tester_id"] is None))
        ]  # fmt: skip
        return _page("round.html", 200, round_name=round_name, summary=progress(desk, round_name, rows),
                     rows=shown, names=names, testers=[t for t in testers if t["active"]], state=state,
                     who=who, note=request.args.get("note"))  # fmt: skip

    @app.post("/coordinator/<round_name>/assign")
    @login_required(coordinator=True)
    def assign(round_name: str) -> Any:
        result = assign_round(store, round_name, tz=desk.tz, rebalance=bool(request.form.get("rebalance")),
                              by=f"tester:{g.tester['id']}")  # fmt: skip
        note = ngettext(
            "{n} call shared, {k} kept their tester.",
            "{n} calls shared, {k} kept their tester.",
            result.assigned,
            k=result.kept,
        )
        return redirect(url_for("round_page", round_name=round_name, note=note))

    @app.post("/coordinator/<round_name>/reassign")
    @login_required(coordinator=True)
    def move(round_name: str) -> Any:
        ids = request.form.getlist("probe")
        if not ids:
            raise UsageError(Msg("no call was chosen"), hint=Msg("tick the calls to move"))
        n = reassign(store, ids, request.form.get("tester", ""), by=f"tester:{g.tester['id']}")
        note = ngettext("{n} call moved.", "{n} calls moved.", n)
        return redirect(url_for("round_page", round_name=round_name, note=note))

    # ------------------------------------------------------------ accounts (coordinators)

    @app.get("/accounts")
    @login_required(coordinator=True)
    def accounts() -> Any:
        return _accounts_page(store, 200, min_length, note=request.args.get("note"))

    @app.post("/accounts")
    @login_required(coordinator=True)
    def add_account() -> Any:
        f = request.form
        try:
            row = create_tester(store, f.get("username", ""), f.get("password", ""), settings.phone,
                                display_name=f.get("name", ""),
                                role="coordinator" if f.get("role") == "coordinator" else "tester")  # fmt: skip
        except UsageError as e:
            form = {k: f.get(k, "") for k in ("username", "name", "role")}
            return _accounts_page(store, 400, min_length, error=_message(e), form=form)
        return redirect(url_for("accounts", note=_("Account {name} created.", name=row["username"])))

    @app.post("/accounts/<username>/active")
    @login_required(coordinator=True)
    def account_active(username: str) -> Any:
        on = request.form.get("active") == "on"
        if not on and username == g.tester["username"]:
            return _accounts_page(store, 400, min_length, error=_("You cannot switch off your own account."))
        set_active(store, username, on)
        note = (
            _("{name} is switched on.", name=username) if on else _("{name} is switched off.", name=username)
        )
        return redirect(url_for("accounts", note=note))

    @app.post("/accounts/<username>/password")
    @login_required(coordinator=True)
    def account_password(username: str) -> Any:
        try:
            set_password(store, username, request.form.get("password", ""), settings.phone)
        except UsageError as e:
            return _accounts_page(store, 400, min_length, error=_message(e))
        return redirect(
            url_for("accounts", note=_("New password for {name}; the account is unlocked.", name=username))
        )

    @app.get("/coordinator/<round_name>/entries.csv")
    @login_required(coordinator=True)
    def export(round_name: str) -> Response:
        store.get_round(round_name)
        return Response(entries_csv(desk, round_name), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{round_name}-telefon.csv"'})  # fmt: skip

    return app


def _with_hint(message: str | None, hint: str | None) -> str:
    return translate(message) + (f" ({translate(hint)})" if hint else "")


def _message(e: KommunetestError) -> str:
    return _with_hint(e.message, e.hint)


def _accounts_page(store: Store, status: int, min_length: int, *, note: str | None = None,
                   error: str | None = None, form: dict[str, str] | None = None) -> Response:  # fmt: skip
    rows = [{**t, "locked": is_locked(t)} for t in store.testers()]
    return _page("accounts.html", status, rows=rows, note=note, error=error, form=form or {},
                 min_length=min_length)  # fmt: skip


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def _safe_next(target: str) -> str:
    r"""Only our own paths: a login link must not send the tester elsewhere. Browsers drop tabs and newlines
    from a Location (`/\t/evil.example` is `//evil.example`) and read `\\` as `/`, so any of them refuses."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


def _page(template: str, status: int, **context: Any) -> Response:
    html = render_template(f"phone/{template}", tester=getattr(g, "tester", None), **context)
    return Response(html, status=status, mimetype="text/html")


def _group_calls(rows: list[dict[str, Any]], now: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Today's calls and retries due first, then later ones, then those done."""
    today = now.astimezone(tz).date()
    due, later, done = [], [], []
    for r in rows:
        s = r["state"]
        when = s.not_before if s.status == "retry" else r["planned_at"]
        r["when"] = when
        if s.status == "done":
            done.append(r)
        elif when is None or when.astimezone(tz).date() <= today:
            due.append(r)
        else:
            later.append(r)
    return [
        {"id": "due", "title": _("To call now"), "rows": due},
        {"id": "later", "title": _("Later"), "rows": later},
        {"id": "done", "title": _("Done"), "rows": done},
    ]


def _call_page(
    desk: PhoneDesk, c: dict[str, Any], *, edit: int | None, form: dict[str, str] | None,
    problems: list[Any] | None, status: int, message: str | None = None,
) -> Response:  # fmt: skip
    scenario, spec = desk.spec(c["scenario_id"])
    state = c["state"]
    if edit is not None and edit not in state.attempts:
        abort(404)
    if edit is not None:
        current = state.attempts[edit]
        values = form or form_from_data(current["data"], desk.tz)
        attempt, base = edit, current["revision"]
    else:
        values = form or {
            "number_dialled": c["municipality_phone"] or "",
            "started_at": datetime.now(UTC).astimezone(desk.tz).strftime("%Y-%m-%dT%H:%M"),
        }
        attempt, base = state.attempt, 0
    errors = {p.field: _with_hint(p.message, p.hint) for p in problems or []}
    return _page(
        "call.html", status, call=c, scenario=scenario, spec=spec, state=state, values=values, errors=errors,
        message=message, attempt=attempt, base=base, nonce=desk.new_nonce(),
        can_record=edit is not None or state.status != "done",
        max_attempts=desk.settings.phone.attempts, max_wait_min=format_number(desk.settings.phone.max_wait_s / 60, digits=1).replace(",0", ""),
        window=(desk.settings.rounds.call_window_start, desk.settings.rounds.call_window_end),
        history=sorted(c["entries"], key=lambda e: (e["attempt"], e["revision"]), reverse=True),
        labels=field_labels(spec),
    )  # fmt: skip


def field_labels(spec: PhoneSpec) -> dict[str, str]:
    """What each form field is called on the page, for the list of fields that need a fix."""
    labels = {
        "outcome": _("How did the call go?"), "started_at": _("Call began"), "number_dialled": _("Number called"),
        "seconds_to_human": _("Seconds until a person answered"), "total_wait_s": _("Total waiting time"),
        "menu_steps": _("Choices in the phone menu"), "transfers": _("Times transferred"),
        "case_officer_reached": _("Reached a case officer or specialist"), "courtesy": _("Courtesy"),
        "notes": _("Notes"), "reason": _("Why is the entry changed?"),
    }  # fmt: skip
    labels |= {f"q_{q.id}": _("Answer to question {n}", n=i) for i, q in enumerate(spec.questions, start=1)}
    labels |= {f"x_{f.id}": f.label for f in spec.log}
    return labels
