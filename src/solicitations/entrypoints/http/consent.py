"""The website authorization workflow: a selling partner signs in, consents, and is sent back to the app.

Server-rendered pages (Jinja2, autoescaped), a signed session cookie (Starlette's SessionMiddleware) and
a per-session CSRF token; the redirect goes only to a URI the application registered, matched exactly.
"""

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount

from solicitations.domain import errors
from solicitations.entrypoints.http.rendering import BUSY_RETRY_AFTER, framework_error
from solicitations.entrypoints.http.routing import route
from solicitations.entrypoints.operator_input import identifier
from solicitations.service.identity import IdentityService
from solicitations.service.ports.secrets import SecretHasherBusy
from solicitations.service.ports.store import StoreUnavailable

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_CONSENT = "/apps/authorize/consent"
_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def _page(name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    page = _templates.get_template(name).render(**context)
    return HTMLResponse(page, status_code=status, headers={**_HEADERS, **(headers or {})})


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def consent_routes(identity: IdentityService, session_secret: str | None) -> list[BaseRoute]:
    """The `/apps` sub-application; its session middleware never touches the API's hot path.

    Without a configured `session_secret` a random one signs the cookies: sessions then end with the process.
    """

    async def consent_page(request: Request) -> Response:
        query = request.query_params
        state = query.get("state", "")
        try:
            if not state:
                raise errors.ApiError(errors.INVALID_INPUT.with_details("the state parameter is required"))
            application, redirect_uri = await identity.consent_target(
                identifier(query.get("application_id"), "application_id"), query.get("redirect_uri")
            )
        except errors.ApiError as error:
            return _page("error.html", 400, message=error.failure.details or error.failure.message)
        seller_id = request.session.get("seller_id")
        if not seller_id:
            return _page("signin.html", next=f"{_CONSENT}?{request.url.query}", error=None)
        return _page(
            "consent.html",
            application=application,
            roles=sorted(application.roles),
            seller_id=seller_id,
            state=state,
            redirect_uri=redirect_uri,
            csrf=request.session["csrf"],
        )

    async def sign_in(request: Request) -> Response:
        form = await request.form()
        target = _field(form, "next")
        if not target.startswith(_CONSENT + "?"):
            target = _CONSENT  # never an open redirect
        try:
            seller_id = identifier(_field(form, "seller_id"), "seller_id")
        except errors.ApiError as error:
            return _page("signin.html", 400, next=target, error=error.failure.details)
        if not await identity.sign_in(seller_id, _field(form, "password")):
            return _page("signin.html", 401, next=target, error="The selling partner ID or password is wrong.")
        request.session.clear()
        request.session.update({"seller_id": seller_id, "csrf": secrets.token_urlsafe(24)})
        return RedirectResponse(target, status_code=303)

    async def consent(request: Request) -> Response:
        form = await request.form()
        seller_id = request.session.get("seller_id")
        csrf = request.session.get("csrf", "")
        if not seller_id or not hmac.compare_digest(_field(form, "csrf").encode(), str(csrf).encode()):
            return _page("error.html", 403, message="Your session has expired; start the authorization again.")
        state, redirect_uri = _field(form, "state"), _field(form, "redirect_uri") or None
        try:
            application_id = identifier(_field(form, "application_id"), "application_id")
            if _field(form, "decision") != "allow":
                _, target = await identity.consent_target(application_id, redirect_uri)
                sep = "&" if "?" in target else "?"
                return RedirectResponse(f"{target}{sep}{urlencode({'error': 'access_denied', 'state': state})}", 302)
            return RedirectResponse(await identity.consent(seller_id, application_id, redirect_uri, state), 302)
        except errors.ApiError as error:
            return _page("error.html", 400, message=error.failure.details or error.failure.message)

    async def unavailable(request: Request, exc: Exception) -> Response:
        retry_after = BUSY_RETRY_AFTER if isinstance(exc, SecretHasherBusy) else None
        return _page(
            "error.html", 503, retry_after, message="The service is temporarily unavailable; try again shortly."
        )

    pages = Starlette(
        routes=[
            route("/authorize/consent", {"GET": consent_page, "POST": consent}),
            route("/authorize/signin", {"POST": sign_in}),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=session_secret or secrets.token_hex(32),
                session_cookie="solicitations_session",
                max_age=3600,
                same_site="lax",
            )
        ],
        exception_handlers={
            StoreUnavailable: unavailable,
            SecretHasherBusy: unavailable,
            HTTPException: framework_error,
        },
    )
    return [Mount("/apps", app=pages)]
