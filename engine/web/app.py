"""The FastAPI application: middleware, templates and routes (parse HTTP, call the desk, render).

Routes are plain ``def`` (the engine is CPU-bound; they run in the threadpool, where the runtime keeps
one ruleset session per thread). Forms are read by one async dependency that checks the CSRF token.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.trustedhost import TrustedHostMiddleware

from engine.errors import EngineError
from engine.web import forms
from engine.web.core import Engine
from engine.web.desk import Desk, FormState
from engine.web.security import (
    BodyLimit,
    CrossOrigin,
    CsrfCookie,
    SecurityHeaders,
    TokenAuth,
    csrf_ok,
    security_headers,
)
from engine.web.store import NotFound

HERE = Path(__file__).resolve().parent
FORM_LIMIT = 64 * 1024
RULES_LIMIT = 1024 * 1024 + 64 * 1024  # yamlio.MAX_BYTES plus the form around it
log = logging.getLogger("rehab.web")


async def posted(request: Request) -> forms.FormData:
    """The submitted form (strings only), after the CSRF check."""
    form = await request.form(max_files=0, max_fields=2000)
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    token = next((v for k, v in items if k == "csrf_token"), "")
    if not csrf_ok(request.state, token):
        raise HTTPException(403, "the form's security token is missing or stale: reload the page and try again")
    return forms.FormData(
        [(k, v) for k, v in items if k not in ("csrf_token", "action")] + [("action", _action(items))]
    )


def _action(items: list[tuple[str, str]]) -> str:
    return next((v for k, v in items if k == "action"), "save")


Posted = Annotated[forms.FormData, Depends(posted)]

UPLOAD_FIELDS = ("import.kinematics", "import.events")


async def uploaded(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A multipart upload (text fields, and each file as (browser's name, bytes)), after the CSRF check."""
    form = await request.form(max_files=len(UPLOAD_FIELDS), max_fields=20, max_part_size=RULES_LIMIT)
    try:
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        if not csrf_ok(request.state, fields.get("csrf_token", "")):
            raise HTTPException(403, "the form's security token is missing or stale: reload the page and try again")
        files: dict[str, tuple[str, bytes]] = {}
        for k, v in form.multi_items():
            if not isinstance(v, str) and k in UPLOAD_FIELDS:
                files[k] = (v.filename or "", await v.read())
    finally:
        await form.close()
    for k in UPLOAD_FIELDS:
        files.setdefault(k, ("", b""))
    return fields, files


Uploaded = Annotated[tuple[dict[str, str], dict[str, tuple[str, bytes]]], Depends(uploaded)]


def build(
    clinic: Path,
    *,
    rules: Path | None,
    exercises: Path | None,
    templates: Path | None,
    paper: str,
    token: str | None,
    hosts: tuple[str, ...],
) -> FastAPI:
    """Assemble the application."""
    engine = Engine(rules, exercises, templates, paper)
    desk = Desk(clinic, engine)
    app = FastAPI(title="rehab desk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = desk
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    pages = Jinja2Templates(env=env)
    pages.env.globals["forms"] = forms
    pages.env.globals["status_words"] = STATUS_WORDS
    pages.env.filters["num"] = _num_text

    def page(request: Request, template_: str, status_: int = 200, **context: Any) -> HTMLResponse:
        fragment = context.pop("fragment", None)
        template = fragment if fragment and request.headers.get("hx-request") == "true" else template_
        return pages.TemplateResponse(request=request, name=template, context=context, status_code=status_)

    def client_or_404(folder: str) -> Any:
        try:
            return desk.client(folder)
        except NotFound:
            raise HTTPException(404, "no such client") from None

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException) -> Response:
        return pages.TemplateResponse(
            request=request,
            name="error.html",
            context={"status": exc.status_code, "message": exc.detail},
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    def internal_error(request: Request, exc: Exception) -> Response:
        # a bug, not bad input: a page in plain words (no traceback, no client data in the log line)
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb is not None else "?"
        log.error("internal error %s at %s", type(exc).__name__, where)
        return pages.TemplateResponse(
            request=request,
            name="error.html",
            context={
                "status": 500,
                "message": "The desk hit an internal error and did not finish this. "
                "Anything already saved is unchanged; go back and try again, and if it happens again, "
                f"report it with this reference: {type(exc).__name__} at {where}.",
            },
            status_code=500,
            headers={k.decode(): v.decode() for k, v in security_headers()},
        )

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # a malformed URL (/visits/abc): the HTML 404 page, never FastAPI's JSON
        return pages.TemplateResponse(
            request=request, name="error.html", context={"status": 404, "message": "not found"}, status_code=404
        )

    @app.exception_handler(NotFound)
    def not_found(request: Request, exc: NotFound) -> Response:
        return pages.TemplateResponse(
            request=request, name="error.html", context={"status": 404, "message": "not found"}, status_code=404
        )

    @app.exception_handler(EngineError)
    def engine_error(request: Request, exc: EngineError) -> Response:
        log.warning("engine error (%s)", type(exc).__name__)  # no client data in logs
        return pages.TemplateResponse(
            request=request,
            name="error.html",
            context={
                "status": 422,
                "message": "the engine refused this",
                "lines": [d.render() for d in exc.diagnostics],
            },
            status_code=422,
        )

    # ---- clients ---------------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def clients(request: Request, q: str = "") -> Response:
        return page(
            request,
            "clients.html",
            clients=desk.clients(q[:200]),
            q=q[:200],
            values={},
            errors={},
            fragment="_client_list.html",
        )

    @app.post("/clients", response_class=HTMLResponse)
    def new_client(request: Request, form: Posted) -> Response:
        c, errors = desk.create_client(form.get("client.name"), form.get("client.id"))
        if c is None:
            return page(
                request, "clients.html", 422, clients=desk.clients(), q="", values=dict(form.items), errors=errors
            )
        return RedirectResponse(f"/c/{c.folder}/assess", status_code=303)

    def client_page(request: Request, c: Any, status: int = 200, **upload: Any) -> Response:
        return page(
            request,
            "client.html",
            status,
            client=c,
            info=c.info(),
            visits=desk.timeline(c),
            draft=c.draft_path("assessment").is_file(),
            formats=desk.engine.gait_formats(),
            upload_values=upload.get("values", {}),
            upload_errors=upload.get("errors", {}),
        )

    @app.get("/c/{folder}", response_class=HTMLResponse)
    def client(request: Request, folder: str) -> Response:
        return client_page(request, client_or_404(folder))

    @app.post("/c/{folder}/import", response_class=HTMLResponse)
    def gait_import(request: Request, folder: str, upload: Uploaded) -> Response:
        c = client_or_404(folder)
        fields, files = upload
        tool = fields.get("import.format", "")
        options = {k: v for k, v in fields.items() if k in forms.IMPORT_OPTION_FIELDS}
        errors = desk.import_upload(c, tool, files, options)
        if errors:
            return client_page(request, c, 422, values={"import.format": tool, **options}, errors=errors)
        return RedirectResponse(f"/c/{c.folder}/assess", status_code=303)

    @app.post("/c/{folder}/import/discard", response_class=HTMLResponse)
    def gait_import_discard(request: Request, folder: str, form: Posted) -> Response:
        c = client_or_404(folder)
        desk.discard_import(c)
        return RedirectResponse(f"/c/{c.folder}", status_code=303)

    # ---- assessment --------------------------------------------------------------------------------------

    def assess_page(request: Request, c: Any, state: FormState, status: int = 200, plan: Any = None) -> Response:
        return page(
            request,
            "assess.html",
            status,
            client=c,
            info=c.info(),
            state=state,
            preview=plan,
            fragment="_assess_form.html",
        )

    @app.get("/c/{folder}/assess", response_class=HTMLResponse)
    def assess_form(request: Request, folder: str) -> Response:
        c = client_or_404(folder)
        return assess_page(request, c, desk.assessment_form(c))

    @app.post("/c/{folder}/assess", response_class=HTMLResponse)
    def assess_save(request: Request, folder: str, form: Posted) -> Response:
        c = client_or_404(folder)
        action = form.get("action")
        form = forms.FormData([(k, v) for k, v in form.items if k != "action"])
        if action == "add_pain" or action.startswith("remove_pain:"):
            state = desk.edit_form(form, action)
            state.imported = desk.pending_import(c)
            return assess_page(request, c, state)
        outcome = desk.save_assessment(c, form)
        if outcome.form is not None:
            return assess_page(request, c, outcome.form, 422)
        return _redirect(request, f"/c/{c.folder}/visits/{outcome.number}")

    @app.post("/c/{folder}/preview", response_class=HTMLResponse)
    def assess_preview(request: Request, folder: str, form: Posted) -> Response:
        client_or_404(folder)
        form = forms.FormData([(k, v) for k, v in form.items if k != "action"])
        plan, state = desk.preview(form)
        return page(request, "preview_page.html", 200, plan=plan, state=state, fragment="_preview.html")

    # ---- plans ---------------------------------------------------------------------------------------------

    @app.get("/c/{folder}/visits/{n}", response_class=HTMLResponse)
    def plan_view(request: Request, folder: str, n: int) -> Response:
        c = client_or_404(folder)
        return page(request, "plan.html", client=c, info=c.info(), n=n, **desk.plan_page(c, _num(n)))

    @app.get("/c/{folder}/visits/{n}/plan.json")
    def plan_json(folder: str, n: int) -> Response:
        c = client_or_404(folder)
        return _download(desk.plan_json(c, _num(n)), "application/json", f"{c.folder}-{n:03d}-plan.json")

    @app.get("/c/{folder}/visits/{n}/handout.pdf")
    def handout_pdf(folder: str, n: int) -> Response:
        c = client_or_404(folder)
        return _download(desk.pdf(c, _num(n), "handout"), "application/pdf", f"{c.folder}-{n:03d}-handout.pdf")

    @app.get("/c/{folder}/visits/{n}/report.pdf")
    def report_pdf(folder: str, n: int) -> Response:
        c = client_or_404(folder)
        return _download(desk.pdf(c, _num(n), "report"), "application/pdf", f"{c.folder}-{n:03d}-report.pdf")

    # ---- review ----------------------------------------------------------------------------------------------

    def review_page(request: Request, c: Any, n: int, state: FormState, status: int = 200) -> Response:
        return page(
            request,
            "review.html",
            status,
            client=c,
            info=c.info(),
            n=n,
            rows=desk.review_rows(c, n),
            running=desk.review_running(c, n),
            library=desk.library_ids(),
            state=state,
        )

    @app.get("/c/{folder}/visits/{n}/review", response_class=HTMLResponse)
    def review_form(request: Request, folder: str, n: int) -> Response:
        c = client_or_404(folder)
        return review_page(request, c, _num(n), desk.review_form(c, _num(n)))

    @app.post("/c/{folder}/visits/{n}/review", response_class=HTMLResponse)
    def review_save(request: Request, folder: str, n: int, form: Posted) -> Response:
        c = client_or_404(folder)
        outcome = desk.save_review(c, _num(n), form)
        if outcome.form is not None:
            return review_page(request, c, n, outcome.form, 422)
        return _redirect(request, f"/c/{c.folder}/visits/{outcome.number}")

    # ---- rules ---------------------------------------------------------------------------------------------------

    @app.get("/rules", response_class=HTMLResponse)
    def rules_index(request: Request) -> Response:
        return page(request, "rules.html", **desk.rules_index())

    @app.get("/rules/{stage}/{name}", response_class=HTMLResponse)
    def rule_file(request: Request, stage: str, name: str) -> Response:
        return page(request, "rule_file.html", problems=[], **desk.rule_file(stage, name))

    @app.post("/rules/{stage}/{name}", response_class=HTMLResponse)
    def rule_save(request: Request, stage: str, name: str, form: Posted) -> Response:
        text = form.map.get("text", "")
        problems = desk.save_content("rule", stage, name, text)
        if problems:
            data = desk.rule_file(stage, name)
            data["text"] = text
            return page(request, "rule_file.html", 422, problems=problems, **data)
        return RedirectResponse(f"/rules/{stage}/{name}?saved=1", status_code=303)

    @app.get("/exercises/{exercise_id}", response_class=HTMLResponse)
    def exercise(request: Request, exercise_id: str) -> Response:
        return page(request, "exercise.html", problems=[], **desk.exercise(exercise_id))

    @app.post("/exercises/{exercise_id}", response_class=HTMLResponse)
    def exercise_save(request: Request, exercise_id: str, form: Posted) -> Response:
        text = form.map.get("text", "")
        desk.exercise(exercise_id)  # 404 for an unknown id
        problems = desk.save_content("exercise", "", f"{exercise_id}.yaml", text)
        if problems:
            data = desk.exercise(exercise_id)
            data["text"] = text
            return page(request, "exercise.html", 422, problems=problems, **data)
        return RedirectResponse(f"/exercises/{exercise_id}?saved=1", status_code=303)

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # outermost last: host check, then token, size, origin, csrf cookie, headers
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CsrfCookie)
    app.add_middleware(CrossOrigin)
    app.add_middleware(
        BodyLimit,
        default=FORM_LIMIT,
        large=RULES_LIMIT,
        large_prefixes=("/rules/", "/exercises/"),
        large_suffixes=("/import",),  # gait uploads: the rule files' limit
    )
    if token:
        app.add_middleware(TokenAuth, token=token)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))
    return app


STATUS_WORDS = {
    "exercise": "exercise",
    "refer_urgent": "refer now",
    "refer_and_exercise": "refer + exercise",
    "no_findings": "no findings",
}


def _num_text(value: Any) -> str:
    """Numbers as the CLI prints them (162.0 → 162, 8.5 → 8.5); anything else unchanged."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _num(n: int) -> int:
    if not 1 <= n <= 999:
        raise NotFound(str(n))
    return n


def _redirect(request: Request, url: str) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _download(blob: bytes, media: str, filename: str) -> Response:
    return Response(blob, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
