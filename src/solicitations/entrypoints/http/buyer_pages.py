"""The buyer's opt-out pages, linked from every solicitation email: no credentials but the token in the path."""

import logging
import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from solicitations.adapters.mail.rendering import MailRenderer
from solicitations.domain import errors
from solicitations.domain.messages import OPT_OUT_PATH
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.bookkeeping import Bookkeeping
from solicitations.entrypoints.http.routing import route
from solicitations.service.opt_outs import OptOutService
from solicitations.service.ports.store import StoreUnavailable

log = logging.getLogger("solicitations.http")
# The buyer's pages carry a secret in their URL: keep it out of caches and of Referer headers.
_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def buyer_page_routes(opt_outs: OptOutService, renderer: MailRenderer, bookkeeping: Bookkeeping) -> list[BaseRoute]:
    def buyer_page(label: str, handler: Callable[[str], Awaitable[str]]) -> Callable[[Request], Awaitable[Response]]:
        """An opt-out page: errors in Amazon's shape.

        The page's store calls are awaited: a locked or slow store must not hold up the event loop that
        serves the API.
        """

        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            request_id = rendering.new_request_id()
            response: Response
            try:
                page = await handler(request.path_params["token"])
                response = HTMLResponse(page, headers={"x-amzn-RequestId": request_id, **_PAGE_HEADERS})
            except errors.ApiError as raised:
                response = rendering.error_response(raised.failure, request_id)
            except StoreUnavailable as exc:
                log.warning("dependency unavailable", extra={"request_id": request_id, "error": repr(exc)})
                response = rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)
            return bookkeeping.finish(response, request_id, label, started, None)

        return endpoint

    async def confirm_page(token: str) -> str:
        return renderer.opt_out_page(await opt_outs.locale(token), done=False)

    async def opt_out(token: str) -> str:
        """The form's POST and RFC 8058's one-click POST alike: the body is not needed."""
        return renderer.opt_out_page(await opt_outs.opt_out(token), done=True)

    return [
        route(
            OPT_OUT_PATH + "/{token}",
            {"GET": buyer_page("optOutPage", confirm_page), "POST": buyer_page("optOut", opt_out)},
        )
    ]
