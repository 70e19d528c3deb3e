"""Headers every HTML page carries (consent, sign-in, opt-out, their error pages), added in one place.

The pages need no script, no frame and nothing from elsewhere: the policy allows their inline styles only.
`form-action` is left out: browsers apply it to the consent form's redirect to the application's own URI.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class HtmlPageHeaders:
    """ASGI middleware: adds PAGE_HEADERS to each text/html response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers):
                    headers += [(name, value) for name, value in PAGE_HEADERS if name not in names]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
