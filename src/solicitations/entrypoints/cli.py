"""The `solicitations` command: serve, deliver, migrate, import orders, issue tokens, operate the outbox."""

import asyncio
import os
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.entrypoints import logs

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="The store's schema.")
orders_app = typer.Typer(no_args_is_help=True, help="Orders.")
tokens_app = typer.Typer(no_args_is_help=True, help="Access tokens.")
apps_app = typer.Typer(no_args_is_help=True, help="Applications (LWA clients).")
authorizations_app = typer.Typer(no_args_is_help=True, help="Seller authorizations of applications.")
sellers_app = typer.Typer(no_args_is_help=True, help="Selling partners.")
plans_app = typer.Typer(no_args_is_help=True, help="Usage plans (rate limits) per seller, application and operation.")
outbox_app = typer.Typer(no_args_is_help=True, help="The buyers' emails: list them, requeue dead ones.")
app.add_typer(db_app, name="db")
app.add_typer(orders_app, name="orders")
app.add_typer(tokens_app, name="tokens")
app.add_typer(plans_app, name="plans")
app.add_typer(apps_app, name="apps")
app.add_typer(authorizations_app, name="authorizations")
app.add_typer(sellers_app, name="sellers")
app.add_typer(outbox_app, name="outbox")


# How `serve` runs uvicorn; the benchmark's raw ASGI baseline uses the same, to compare like with like.
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,  # the app writes its own structured access log
    "log_config": None,
    "server_header": False,
    "timeout_graceful_shutdown": 10,
}


def _demo_banner(host: str, port: int, rows: list[tuple[str, str, str]], token: str, mail: str) -> str:
    base = f"http://{host}:{port}"
    lines = [
        "",
        f"Solicitations API v1 with demo data on {base}",
        f"access token: {token}",
        f"buyers' emails go to {mail}",
        "",
        "orders:",
        *(f"  {order_id}  {marketplace}  {why}" for order_id, marketplace, why in rows),
        "",
        "try:",
        f"  curl -s -H 'x-amz-access-token: {token}' \\",
        f"    '{base}/solicitations/v1/orders/111-1111111-1111111?marketplaceIds=ATVPDKIKX0DER'",
        f"  curl -s -X POST -H 'x-amz-access-token: {token}' \\",
        f"    '{base}/solicitations/v1/orders/111-1111111-1111111/solicitations/"
        "productReviewAndSellerFeedback?marketplaceIds=ATVPDKIKX0DER'",
        "",
    ]
    return "\n".join(lines)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Load demo data and print how to call it.")] = False,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a delivery worker in each server process.")
    ] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Server processes sharing the port.")] = 1,
) -> None:
    """Run the HTTP service (migrations run first) and, unless --no-worker, a delivery worker per process."""
    import uvicorn

    from solicitations.entrypoints.http.app import create_app

    settings = Settings()
    logs.configure(settings.log_level)
    container = bootstrap(settings)
    if demo:
        from solicitations.service import demo as demo_data

        rows = demo_data.seed(container.store, container.admin, container.solicitations, container.clock())
        banner = _demo_banner(
            host,
            port,
            [(r.amazon_order_id, r.marketplace_id, r.expectation) for r in rows],
            demo_data.ACCESS_TOKEN,
            "the SMTP server of SOLICITATIONS_SMTP_URL" if settings.smtp_url else f"the Maildir {settings.maildir}",
        )
        typer.echo(banner)
    if workers == 1:
        uvicorn.run(create_app(container, worker=worker), host=host, port=port, **UVICORN_OPTIONS)
        return
    container.close()  # migrated and seeded: each server process builds its own container
    os.environ["SOLICITATIONS_IN_PROCESS_WORKER"] = "true" if worker else "false"
    uvicorn.run(
        "solicitations.entrypoints.http.asgi:from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        **UVICORN_OPTIONS,
    )


@app.command("worker")
def worker_command() -> None:
    """Run a standalone delivery worker until SIGTERM or Ctrl-C; start as many as you like."""
    from solicitations.entrypoints.worker import run_worker

    settings = Settings()
    logs.configure(settings.log_level)
    container = bootstrap(settings)

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await run_worker(container.delivery, stop, settings.delivery_poll_seconds)
        finally:
            await container.aclose()

    asyncio.run(work())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest revision."""
    container = bootstrap(migrate=True)
    container.close()
    typer.echo("database is at the newest revision")


@orders_app.command("import")
def orders_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    seller_id: Annotated[str | None, typer.Option(help="SellerId for records that carry none.")] = None,
) -> None:
    """Import orders from JSON lines or a getOrders payload; bad records are reported and skipped."""
    from solicitations.service.importing import import_orders

    container = bootstrap()
    try:
        report = import_orders(container.store, file.read_text(encoding="utf-8"), container.clock, seller_id)
    finally:
        container.close()
    for where, why in report.rejected:
        typer.echo(f"{file}: {where}: skipped: {why}", err=True)
    typer.echo(f"imported {report.imported} orders, skipped {len(report.rejected)}")
    if report.rejected:
        raise typer.Exit(1)


@tokens_app.command("issue")
def tokens_issue(
    seller_id: Annotated[str, typer.Option(help="The selling partner the token acts for.")],
    application_id: Annotated[str, typer.Option(help="The application (created if new).")],
    role: Annotated[list[str] | None, typer.Option(help="Role of a new application; repeatable.")] = None,
) -> None:
    """Mint an access token and print it (it is stored only as a hash)."""
    container = bootstrap()
    try:
        issued = container.admin.issue_access_token(
            {"sellerId": seller_id, "applicationId": application_id, "roles": role or ["Buyer Solicitation"]}
        )
    finally:
        container.close()
    typer.echo(issued.access_token)


def _show_plan(seller_id: str, application_id: str, operation: str) -> None:
    import asyncio

    from solicitations.service.ports import BucketKey

    async def show() -> str:
        container = bootstrap()
        try:
            key = BucketKey(seller_id, application_id, operation)
            plan = container.throttle.plan(key)
            line = f"{operation}: rate {plan.rate}/s, burst {plan.burst}"
            if container.settings.redis_url:  # in-process buckets live in the server, not here
                line += f", {await container.throttle.buckets.level(key, plan):.3f} tokens now"
            return line
        finally:
            await container.aclose()

    typer.echo(asyncio.run(show()))


@plans_app.command("set")
def plans_set(
    seller_id: str,
    application_id: str,
    operation: str,
    rate: Annotated[float, typer.Option(help="Requests per second.")],
    burst: Annotated[int, typer.Option(help="Bucket capacity.")],
) -> None:
    """Grant a plan to one seller, application and operation."""
    from solicitations.service.ports import BucketKey

    def put(container: Container) -> str:
        key = BucketKey(seller_id, application_id, operation)
        plan = container.admin.put_usage_plan(key, {"rate": rate, "burst": burst})
        return f"{operation}: rate {plan.rate}/s, burst {plan.burst}"

    _run_admin(put)


@plans_app.command("show")
def plans_show(seller_id: str, application_id: str) -> None:
    """The plan of each operation for one seller and application."""
    from solicitations.domain.usage_plans import DEFAULT_PLANS

    for operation in DEFAULT_PLANS:
        _show_plan(seller_id, application_id, operation)


def _run_admin(action: "Callable[[Container], str | Coroutine[Any, Any, str]]", refused_exit: int = 2) -> None:
    """Run one operator action, awaited when it is a coroutine (those that hash a secret);
    Amazon-shaped refusals become a message and exit code `refused_exit`."""
    from solicitations.domain.errors import ApiError

    container = bootstrap()
    try:
        result = action(container)
        typer.echo(asyncio.run(result) if isinstance(result, Coroutine) else result)
    except ApiError as error:
        typer.echo(f"{error.failure.message} {error.failure.details}".strip(), err=True)
        raise typer.Exit(refused_exit) from None
    finally:
        container.close()


@apps_app.command("create")
def apps_create(
    name: Annotated[str, typer.Option(help="Shown to sellers on the consent page.")],
    role: Annotated[list[str] | None, typer.Option(help="Role; repeatable.")] = None,
    redirect_uri: Annotated[list[str] | None, typer.Option(help="Registered OAuth redirect URI; repeatable.")] = None,
) -> None:
    """Register an application; its client secret is printed once and stored only as a hash."""

    async def create(container: Container) -> str:
        body = {"name": name, "roles": role or ["Buyer Solicitation"], "redirectUris": redirect_uri or []}
        created = await container.identity.create_application(body)
        return (
            f"application id:  {created.application.application_id}\n"
            f"client id:       {created.application.client_id}\n"
            f"client secret:   {created.client_secret}"
        )

    _run_admin(create)


@apps_app.command("list")
def apps_list() -> None:
    """Every application with its client id, roles and state."""

    def listing(container: Container) -> str:
        return "\n".join(
            f"{a.application_id}  {a.client_id or '-'}  {a.state}  {','.join(sorted(a.roles))}  {a.name}"
            for a in container.identity.list_applications()
        )

    _run_admin(listing)


@apps_app.command("rotate-secret")
def apps_rotate_secret(application_id: str) -> None:
    """A new client secret; the old one stops working at once."""
    _run_admin(lambda c: c.identity.rotate_secret(application_id))


def _set_state(application_id: str, state: str) -> None:
    def set_state(container: Container) -> str:
        container.identity.set_state(application_id, state)
        return f"{application_id} {state}"

    _run_admin(set_state)


@apps_app.command("suspend")
def apps_suspend(application_id: str) -> None:
    """Its tokens stop working and it gets no new ones."""
    _set_state(application_id, "suspended")


@apps_app.command("resume")
def apps_resume(application_id: str) -> None:
    """Make a suspended application usable again."""
    _set_state(application_id, "active")


@authorizations_app.command("grant")
def authorizations_grant(
    seller_id: Annotated[str, typer.Option()], application_id: Annotated[str, typer.Option()]
) -> None:
    """Authorize an application for a seller (self-authorization); prints the refresh token."""
    _run_admin(lambda c: c.identity.authorize(seller_id, application_id))


@authorizations_app.command("revoke")
def authorizations_revoke(
    seller_id: Annotated[str, typer.Option()], application_id: Annotated[str, typer.Option()]
) -> None:
    """Kill the refresh token and every access token minted from it."""
    _run_admin(lambda c: f"revoked {c.identity.revoke(seller_id, application_id)} authorization(s)")


@sellers_app.command("put")
def sellers_put(
    seller_id: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    marketplace_id: Annotated[list[str] | None, typer.Option(help="Marketplace; repeatable.")] = None,
    password: Annotated[bool, typer.Option("--password", help="Prompt for a consent-page password.")] = False,
) -> None:
    """Create or replace a seller, optionally with a password for the consent page's sign-in."""
    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None

    async def put(container: Container) -> str:
        seller = container.admin.put_seller(seller_id, {"name": name, "marketplaceIds": marketplace_id or []})
        if secret is not None:
            await container.identity.set_password(seller.seller_id, secret)
        return f"{seller.seller_id} {seller.name}"

    _run_admin(put)


@outbox_app.command("list")
def outbox_list(
    state: Annotated[str | None, typer.Option(help="pending, sent, dead or suppressed; all when omitted.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, oldest first.")] = 100,
) -> None:
    """One line per message: id, state, attempts, order, Message-ID, then the last error if any."""
    from solicitations.domain.messages import MessageState

    try:
        wanted = None if state is None else MessageState(state)
    except ValueError:
        typer.echo(f"unknown state {state!r}: use one of {', '.join(s.value for s in MessageState)}", err=True)
        raise typer.Exit(2) from None
    container = bootstrap()
    try:
        messages = container.delivery.messages(wanted, limit)
    finally:
        container.close()
    for m in messages:
        line = f"{m.outbox_id}\t{m.state.value}\t{m.attempts}\t{m.amazon_order_id}\t{m.message_id}"
        typer.echo(line + (f"\t{m.last_error}" if m.last_error else ""))


@outbox_app.command("retry")
def outbox_retry(
    message: Annotated[int | None, typer.Argument(help="The id of a dead message.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Requeue every dead message.")] = False,
) -> None:
    """Requeue dead messages: due now, with fresh attempts."""
    if (message is None) == (not all_dead):
        typer.echo("give a message id or --all-dead", err=True)
        raise typer.Exit(2)

    def retry(container: Container) -> str:
        if message is not None:
            container.delivery.requeue(message)
            count = 1
        else:
            count = container.delivery.requeue_all_dead()
        return f"requeued {count} message{'' if count == 1 else 's'}"

    _run_admin(retry, refused_exit=1)


def main() -> None:
    app()
