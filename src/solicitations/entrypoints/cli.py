"""The `solicitations` command: serve, deliver, migrate, import orders, issue tokens, operate the outbox."""

import asyncio
import os
import secrets
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from solicitations.adapters.clock import SystemClock
from solicitations.adapters.store.sql import sqlite_file
from solicitations.bootstrap import Container, bootstrap
from solicitations.client.endpoints import LWA_TOKEN_URL
from solicitations.config import Settings
from solicitations.entrypoints import logs, operator_input
from solicitations.entrypoints.operator_input import DEFAULT_ROLES, MAX_LIST, MAX_MESSAGE_ID
from solicitations.service.demo import SELLER_ID as DEMO_SELLER_ID
from solicitations.service.ports.clock import Clock

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


DEFAULT_DATABASE_URL: str = Settings.model_fields["database_url"].default


@dataclass
class CliContext:
    """Typer's context object (`ctx.obj`): the clock the commands read and the global options.

    The composition root owns the clock: the system clock unless the caller hands one in, as tests do to run
    the CLI on their settable clock: `CliRunner().invoke(app, args, obj=CliContext(clock=clock))`.
    """

    clock: Clock = field(default_factory=SystemClock)
    database_url: str = DEFAULT_DATABASE_URL


@app.callback()
def global_options(
    ctx: typer.Context,
    database_url: Annotated[
        str,
        typer.Option(envvar="SOLICITATIONS_DATABASE_URL", show_envvar=True, help="SQLAlchemy URL of the store."),
    ] = DEFAULT_DATABASE_URL,
) -> None:
    ctx.ensure_object(CliContext).database_url = database_url


def _settings(**overrides: Any) -> Settings:
    """The environment's settings; an invalid one (a short admin token…) is a message and exit code 2."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        for problem in error.errors():
            name = "SOLICITATIONS_" + "_".join(str(part) for part in problem["loc"]).upper()
            typer.echo(f"{name}: {problem['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None


def _container(
    ctx: typer.Context, *, creates_database: bool, configure_logs: bool = False, **overrides: Any
) -> Container:
    """Every command's Container, built only here: the settings with --database-url, the context's clock.

    A command that only reads, or acts on rows that must exist already, passes creates_database=False: a
    SQLite file that does not exist is then a wrong path, refused with exit code 2 instead of created empty.
    """
    options = ctx.ensure_object(CliContext)
    settings = _settings(database_url=options.database_url, **overrides)
    if not creates_database:
        path = sqlite_file(settings.database_url)
        if path is not None and not path.exists():
            typer.echo(
                f"no database at {path.absolute()}: create it with `solicitations db upgrade` (or start "
                "`solicitations serve`), or point --database-url or SOLICITATIONS_DATABASE_URL at an existing one",
                err=True,
            )
            raise typer.Exit(2)
    if configure_logs:
        logs.configure(settings.log_level)
    return bootstrap(settings, options.clock)


def _demo_banner(
    host: str, port: int, rows: list[tuple[str, str, str]], token: str, mail: str, admin_token: str
) -> str:
    base = f"http://{host}:{port}"
    lines = [
        "",
        f"Solicitations API v1 with demo data on {base}",
        f"access token: {token}",
        f"admin token: {admin_token}",
        f"buyers' emails go to {mail}",
        "",
        "orders:",
        *(f"  {order_id}  {marketplace}  {why}" for order_id, marketplace, why in rows),
        "",
        "try (each prints the body, then the HTTP status):",
        f"  curl -s -w '\\n%{{http_code}}\\n' -H 'x-amz-access-token: {token}' \\",
        f"    '{base}/solicitations/v1/orders/111-1111111-1111111?marketplaceIds=ATVPDKIKX0DER'",
        f"  curl -s -w '\\n%{{http_code}}\\n' -X POST -H 'x-amz-access-token: {token}' \\",
        f"    '{base}/solicitations/v1/orders/111-1111111-1111111/solicitations/"
        "productReviewAndSellerFeedback?marketplaceIds=ATVPDKIKX0DER'",
        "",
        "every start re-creates these orders as new, relative to now",
        "",
    ]
    return "\n".join(lines)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Load demo data and print how to call it.")] = False,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run a delivery worker in each server process.")
    ] = True,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Server processes sharing the port.")] = 1,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Answer as Amazon's sandbox: the API models' static cases only.")
    ] = False,
    emulator: Annotated[
        bool, typer.Option("--emulator", help="Serve /admin/v1/clock to move time (implied by --demo); one process.")
    ] = False,
) -> None:
    """Run the HTTP service (migrations run first) and, unless --no-worker, a delivery worker per process.

    Creates the database if it does not exist: starting the service is how a new store begins. With
    --sandbox (or SOLICITATIONS_SANDBOX) the APIs answer Amazon's sandbox cases and nothing is delivered.
    """
    from solicitations.adapters.mail.rendering import sender_domain
    from solicitations.entrypoints.http import server
    from solicitations.entrypoints.http.app import create_app
    from solicitations.entrypoints.http.sandbox import create_sandbox_app

    # Emulator mode (implied by --demo) moves its clock through the admin API: it always has one. Unless the
    # operator chose a token (a weak one is refused), a fresh random one is made and printed.
    emulating = emulator or demo or _settings().emulator
    generated = secrets.token_urlsafe(32) if emulating and "SOLICITATIONS_ADMIN_TOKEN" not in os.environ else None
    container = _container(
        ctx,
        creates_database=True,
        configure_logs=True,
        **({"emulator": True} if emulator or demo else {}),  # else SOLICITATIONS_EMULATOR decides
        **({"admin_token": generated} if generated else {}),
    )
    settings = container.settings
    sandbox = sandbox or settings.sandbox
    if sandbox and demo:
        container.close()
        typer.echo("--demo loads orders, which the sandbox never reads: use one or the other", err=True)
        raise typer.Exit(2)
    if settings.emulator and workers > 1:
        container.close()
        typer.echo("emulator mode runs one process (its clock lives in it): drop --workers", err=True)
        raise typer.Exit(2)
    if generated and not demo:
        typer.echo(f"admin token (the emulator's clock is at /admin/v1/clock): {generated}")
    if sandbox:
        typer.echo(f"Amazon's sandbox (static cases of the API models) on http://{host}:{port}")
    if demo:
        from solicitations.service import demo as demo_data

        rows = asyncio.run(demo_data.seed(container.store, container.clock(), sender_domain(settings.mail_from)))
        banner = _demo_banner(
            host,
            port,
            [(r.amazon_order_id, r.marketplace_id, r.expectation) for r in rows],
            demo_data.ACCESS_TOKEN,
            "the SMTP server of SOLICITATIONS_SMTP_URL" if settings.smtp_url else f"the Maildir {settings.maildir}",
            generated or "the one in SOLICITATIONS_ADMIN_TOKEN",
        )
        typer.echo(banner)
    limits = server.ServerLimits.of(settings)
    if workers == 1:
        application = create_sandbox_app(container) if sandbox else create_app(container, worker=worker)
        server.run(application, limits, host=host, port=port)
        return
    container.close()  # migrated and seeded: each server process builds its own container
    os.environ["SOLICITATIONS_IN_PROCESS_WORKER"] = "true" if worker else "false"
    os.environ["SOLICITATIONS_SANDBOX"] = "true" if sandbox else "false"
    os.environ["SOLICITATIONS_DATABASE_URL"] = settings.database_url  # --database-url reaches them too
    if settings.admin_token is not None:
        os.environ["SOLICITATIONS_ADMIN_TOKEN"] = settings.admin_token  # the demo's generated one too
    server.run(
        "solicitations.entrypoints.http.asgi:from_environment",
        limits,
        host=host,
        port=port,
        workers=workers,
        factory=True,
    )


@app.command("worker")
def worker_command(ctx: typer.Context) -> None:
    """Run a standalone delivery worker until SIGTERM or Ctrl-C; start as many as you like.

    Needs an existing database: a worker only delivers what a server queued, so a missing SQLite file is a
    wrong path, not a new store to watch forever.
    """
    from solicitations.entrypoints.worker import run_worker

    container = _container(ctx, creates_database=False, configure_logs=True)
    settings = container.settings

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
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema to the newest revision, creating the database if it does not exist."""
    _container(ctx, creates_database=True).close()
    typer.echo("database is at the newest revision")


@orders_app.command("import")
def orders_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    seller_id: Annotated[str | None, typer.Option(help="SellerId for records that carry none.")] = None,
) -> None:
    """Import orders from JSON lines or a getOrders payload; bad records are reported and skipped.

    Creates the database if it does not exist: loading orders is a first step on a new store.
    """
    from solicitations.service.importing import import_orders

    container = _container(ctx, creates_database=True)
    try:
        report = asyncio.run(
            import_orders(container.store, file.read_text(encoding="utf-8"), container.clock, seller_id)
        )
    finally:
        container.close()
    for where, why in report.rejected:
        typer.echo(f"{file}: {where}: skipped: {why}", err=True)
    typer.echo(f"imported {report.imported} orders, skipped {len(report.rejected)}")
    if report.rejected:
        raise typer.Exit(1)


@app.command("seed")
def seed(
    ctx: typer.Context,
    orders: Annotated[int, typer.Option("--orders", min=1, help="How many orders to write.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed and same day: same orders.")] = 0,
    seller_id: Annotated[str, typer.Option(help="Their SellerId (default: the demo's seller).")] = DEMO_SELLER_ID,
) -> None:
    """Write realistic orders across marketplaces, statuses, channels and delivery windows (service/seeding.py).

    Creates the database if it does not exist: seeding is a first step on a new store.
    """
    from solicitations.service.seeding import seed_orders

    container = _container(ctx, creates_database=True)
    try:
        report = asyncio.run(seed_orders(container.store, container.clock, orders, seed, seller_id))
    finally:
        container.close()
    typer.echo(f"seeded {report.imported} orders for {seller_id} (seed {seed})")


@tokens_app.command("issue")
def tokens_issue(
    ctx: typer.Context,
    seller_id: Annotated[str, typer.Option(help="The selling partner the token acts for.")],
    application_id: Annotated[str, typer.Option(help="The application (created if new).")],
    role: Annotated[list[str] | None, typer.Option(help="Role of a new application; repeatable.")] = None,
) -> None:
    """Mint an access token and print it (it is stored only as a hash).

    Creates the database if it does not exist: the token makes its application if need be.
    """
    body = {"sellerId": seller_id, "applicationId": application_id, "roles": role or list(DEFAULT_ROLES)}

    async def issue(container: Container) -> str:
        wanted = operator_input.access_token_request(body)
        return (await container.admin.issue(wanted.seller_id, wanted.application_id, wanted.roles)).access_token

    _run_admin(ctx, issue, creates_database=True)


@plans_app.command("set")
def plans_set(
    ctx: typer.Context,
    seller_id: str,
    application_id: str,
    operation: str,
    rate: Annotated[float, typer.Option(help="Requests per second.")],
    burst: Annotated[int, typer.Option(help="Bucket capacity.")],
) -> None:
    """Grant a plan to one seller, application and operation.

    Creates the database if it does not exist: a grant needs no other row.
    """
    from solicitations.domain.usage_plans import BucketKey

    async def put(container: Container) -> str:
        key = BucketKey(seller_id, application_id, operation)
        plan = operator_input.usage_plan(key, {"rate": rate, "burst": burst})
        await container.admin.put_usage_plan(key, plan)
        return f"{operation}: rate {plan.rate}/s, burst {plan.burst}"

    _run_admin(ctx, put, creates_database=True)


@plans_app.command("show")
def plans_show(ctx: typer.Context, seller_id: str, application_id: str) -> None:
    """The plan of each operation for one seller and application. Needs an existing database."""
    from solicitations.domain.usage_plans import DEFAULT_PLANS, BucketKey

    container = _container(ctx, creates_database=False)

    async def show() -> list[str]:
        try:
            lines = []
            for operation in DEFAULT_PLANS:
                key = BucketKey(seller_id, application_id, operation)
                plan = await container.throttle.plan(key)
                line = f"{operation}: rate {plan.rate}/s, burst {plan.burst}"
                if container.settings.redis_url:  # in-process buckets live in the server, not here
                    line += f", {await container.throttle.buckets.level(key, plan):.3f} tokens now"
                lines.append(line)
            return lines
        finally:
            await container.aclose()

    for line in asyncio.run(show()):
        typer.echo(line)


def _run_admin(
    ctx: typer.Context,
    action: Callable[[Container], Coroutine[Any, Any, str]],
    *,
    creates_database: bool,
    refused_exit: int = 2,
) -> None:
    """Run one operator action and print what it returns; Amazon-shaped refusals become a message and exit
    code `refused_exit`."""
    from solicitations.domain.errors import ApiError

    container = _container(ctx, creates_database=creates_database)
    try:
        output = asyncio.run(action(container))
    except ApiError as error:
        typer.echo(f"{error.failure.message} {error.failure.details}".strip(), err=True)
        raise typer.Exit(refused_exit) from None
    finally:
        container.close()
    if output:
        typer.echo(output)


@apps_app.command("create")
def apps_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Shown to sellers on the consent page.")],
    role: Annotated[list[str] | None, typer.Option(help="Role; repeatable.")] = None,
    redirect_uri: Annotated[list[str] | None, typer.Option(help="Registered OAuth redirect URI; repeatable.")] = None,
) -> None:
    """Register an application; its client secret is printed once and stored only as a hash.

    Creates the database if it does not exist: registering applications is a first step on a new store.
    """

    async def create(container: Container) -> str:
        wanted = operator_input.application(
            {"name": name, "roles": role or list(DEFAULT_ROLES), "redirectUris": redirect_uri or []}
        )
        created = await container.identity.create_application(wanted.name, wanted.roles, wanted.redirect_uris)
        return (
            f"application id:  {created.application.application_id}\n"
            f"client id:       {created.application.client_id}\n"
            f"client secret:   {created.client_secret}"
        )

    _run_admin(ctx, create, creates_database=True)


@apps_app.command("list")
def apps_list(ctx: typer.Context) -> None:
    """Every application with its client id, roles and state. Needs an existing database."""

    async def listing(container: Container) -> str:
        return "\n".join(
            f"{a.application_id}  {a.client_id or '-'}  {a.state}  {','.join(sorted(a.roles))}  {a.name}"
            for a in await container.identity.list_applications()
        )

    _run_admin(ctx, listing, creates_database=False)


@apps_app.command("rotate-secret")
def apps_rotate_secret(ctx: typer.Context, application_id: str) -> None:
    """A new client secret; the old one stops working at once. Needs an existing database."""
    _run_admin(
        ctx,
        lambda c: c.identity.rotate_secret(operator_input.identifier(application_id, "applicationId")),
        creates_database=False,
    )


def _set_state(ctx: typer.Context, application_id: str, state: str) -> None:
    async def set_state(container: Container) -> str:
        await container.identity.set_state(operator_input.identifier(application_id, "applicationId"), state)
        return f"{application_id} {state}"

    _run_admin(ctx, set_state, creates_database=False)


@apps_app.command("suspend")
def apps_suspend(ctx: typer.Context, application_id: str) -> None:
    """Its tokens stop working and it gets no new ones. Needs an existing database."""
    _set_state(ctx, application_id, "suspended")


@apps_app.command("resume")
def apps_resume(ctx: typer.Context, application_id: str) -> None:
    """Make a suspended application usable again. Needs an existing database."""
    _set_state(ctx, application_id, "active")


@authorizations_app.command("grant")
def authorizations_grant(
    ctx: typer.Context, seller_id: Annotated[str, typer.Option()], application_id: Annotated[str, typer.Option()]
) -> None:
    """Authorize an application for a seller (self-authorization); prints the refresh token.

    Needs an existing database: the application must be registered already.
    """
    ids = {"sellerId": seller_id, "applicationId": application_id}

    async def grant(container: Container) -> str:
        return await container.identity.authorize(*operator_input.authorization(ids))

    _run_admin(ctx, grant, creates_database=False)


@authorizations_app.command("revoke")
def authorizations_revoke(
    ctx: typer.Context, seller_id: Annotated[str, typer.Option()], application_id: Annotated[str, typer.Option()]
) -> None:
    """Kill the refresh token and every access token minted from it. Needs an existing database."""
    ids = {"sellerId": seller_id, "applicationId": application_id}

    async def revoke(container: Container) -> str:
        return f"revoked {await container.identity.revoke(*operator_input.authorization(ids))} authorization(s)"

    _run_admin(ctx, revoke, creates_database=False)


@sellers_app.command("put")
def sellers_put(
    ctx: typer.Context,
    seller_id: str,
    name: Annotated[str, typer.Option(help="Display name.")],
    marketplace_id: Annotated[list[str] | None, typer.Option(help="Marketplace; repeatable.")] = None,
    password: Annotated[bool, typer.Option("--password", help="Prompt for a consent-page password.")] = False,
) -> None:
    """Create or replace a seller, optionally with a password for the consent page's sign-in.

    Creates the database if it does not exist: adding sellers is a first step on a new store.
    """
    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None

    async def put(container: Container) -> str:
        seller = operator_input.seller(seller_id, {"name": name, "marketplaceIds": marketplace_id or []})
        await container.admin.put_seller(seller)
        if secret is not None:
            await container.identity.set_password(seller.seller_id, secret)
        return f"{seller.seller_id} {seller.name}"

    _run_admin(ctx, put, creates_database=True)


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option(help="pending, sent, dead or suppressed; all when omitted.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIST, help="At most this many, oldest first.")] = 100,
) -> None:
    """One line per message: id, state, attempts, order, Message-ID, then the last error if any.

    Needs an existing database.
    """
    from solicitations.domain.messages import MessageState

    try:
        wanted = None if state is None else MessageState(state)
    except ValueError:
        typer.echo(f"unknown state {state!r}: use one of {', '.join(s.value for s in MessageState)}", err=True)
        raise typer.Exit(2) from None

    async def listing(container: Container) -> str:
        return "\n".join(
            f"{m.outbox_id}\t{m.state.value}\t{m.attempts}\t{m.amazon_order_id}\t{m.message_id}"
            + (f"\t{m.last_error}" if m.last_error else "")
            for m in await container.delivery.messages(wanted, limit)
        )

    _run_admin(ctx, listing, creates_database=False)


@outbox_app.command("retry")
def outbox_retry(
    ctx: typer.Context,
    message: Annotated[int | None, typer.Argument(min=1, max=MAX_MESSAGE_ID, help="The id of a dead message.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Requeue every dead message.")] = False,
) -> None:
    """Requeue dead messages: due now, with fresh attempts. Needs an existing database."""
    if (message is None) == (not all_dead):
        typer.echo("give a message id or --all-dead", err=True)
        raise typer.Exit(2)

    async def retry(container: Container) -> str:
        if message is not None:
            await container.delivery.requeue(message)
            count = 1
        else:
            count = await container.delivery.requeue_all_dead()
        return f"requeued {count} message{'' if count == 1 else 's'}"

    _run_admin(ctx, retry, creates_database=False, refused_exit=1)


@app.command("request-reviews")
def request_reviews(
    ctx: typer.Context,
    endpoint: Annotated[
        str, typer.Option(envvar="SP_API_ENDPOINT", help="SP-API base URL, or a region: NA, EU, FE, NA-sandbox…")
    ],
    client_id: Annotated[str, typer.Option(envvar="LWA_APP_ID", help="The LWA application's client id.")],
    client_secret: Annotated[str, typer.Option(envvar="LWA_CLIENT_SECRET", help="Its client secret.")],
    refresh_token: Annotated[str, typer.Option(envvar="SP_API_REFRESH_TOKEN", help="The seller's refresh token.")],
    marketplace_id: Annotated[str, typer.Option(envvar="SP_API_MARKETPLACE_ID", help="Marketplace to ask in.")],
    token_url: Annotated[str, typer.Option(envvar="LWA_TOKEN_URL", help="Login with Amazon's token URL.")] = (
        LWA_TOKEN_URL
    ),
    since: Annotated[
        datetime | None, typer.Option(help="Orders created since (ISO 8601); default 90 days before today.")
    ] = None,
    journal_path: Annotated[Path, typer.Option("--journal", help="SQLite journal of every decision.")] = Path(
        "request-reviews.db"
    ),
    now: Annotated[
        datetime | None,
        typer.Option(help="Today for the windows (ISO 8601), e.g. an emulator's clock; default the system clock."),
    ] = None,
    order_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--order-id", help="Ask about these orders only (repeatable): no getOrders, the service judges windows."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and report, send nothing, record nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ask every buyer whose order is in its review window, once, paced to the usage plans; resumable.

    Exit code 0 when every order was decided, 1 when an order failed or the service refused the caller.
    """
    import json
    import sys

    from solicitations.client import Credentials, LwaError, SellingPartnerClient, SpApiError
    from solicitations.requester.campaign import Requester
    from solicitations.requester.journal import Journal
    from solicitations.requester.report import table

    today = (now or ctx.ensure_object(CliContext).clock()).astimezone(UTC)
    journal = Journal(journal_path)
    credentials = Credentials(client_id, client_secret, refresh_token)
    try:
        with SellingPartnerClient(credentials, endpoint=endpoint, token_url=token_url) as client:
            requester = Requester(client, journal, marketplace_id, today, dry_run=dry_run)
            orders: list[dict[str, Any] | str] = (
                list(order_ids) if order_ids else list(requester.discover(since.astimezone(UTC) if since else None))
            )
            run_id = journal.start_run(today, endpoint)
            if sys.stderr.isatty():
                with typer.progressbar(length=len(orders), label="asking", file=sys.stderr) as bar:
                    requester.progress = lambda order_id, decision: bar.update(1)
                    summary = requester.run(orders, run_id)
            else:
                requester.progress = lambda order_id, decision: typer.echo(f"{order_id}: {decision}", err=True)
                summary = requester.run(orders, run_id)
    except (LwaError, SpApiError) as error:
        typer.echo(f"stopped: {error}. The journal {journal_path} keeps what was done; rerun to resume.", err=True)
        raise typer.Exit(1) from None
    finally:
        journal.close()
    typer.echo(json.dumps(summary.as_json(), indent=2) if as_json else table(summary))
    if summary.failed:
        raise typer.Exit(1)


def main() -> None:
    app()
