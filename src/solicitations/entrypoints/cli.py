"""The `solicitations` command: serve, migrate, import orders, issue tokens."""

from pathlib import Path
from typing import Annotated, Any

import typer

from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints import logs

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_app = typer.Typer(no_args_is_help=True, help="The store's schema.")
orders_app = typer.Typer(no_args_is_help=True, help="Orders.")
tokens_app = typer.Typer(no_args_is_help=True, help="Access tokens.")
plans_app = typer.Typer(no_args_is_help=True, help="Usage plans (rate limits) per seller, application and operation.")
app.add_typer(db_app, name="db")
app.add_typer(orders_app, name="orders")
app.add_typer(tokens_app, name="tokens")
app.add_typer(plans_app, name="plans")


# How `serve` runs uvicorn; the benchmark's raw ASGI baseline uses the same, to compare like with like.
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,  # the app writes its own structured access log
    "log_config": None,
    "server_header": False,
    "timeout_graceful_shutdown": 10,
}


def _demo_banner(host: str, port: int, rows: list[tuple[str, str, str]], token: str) -> str:
    base = f"http://{host}:{port}"
    lines = [
        "",
        f"Solicitations API v1 with demo data on {base}",
        f"access token: {token}",
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
) -> None:
    """Run the HTTP service (migrations run first)."""
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
        )
        typer.echo(banner)
    uvicorn.run(create_app(container), host=host, port=port, **UVICORN_OPTIONS)


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
    from solicitations.domain.errors import ApiError
    from solicitations.service.ports import BucketKey

    container = bootstrap()
    try:
        container.admin.put_usage_plan(BucketKey(seller_id, application_id, operation), {"rate": rate, "burst": burst})
    except ApiError as error:
        typer.echo(f"{error.failure.message} {error.failure.details}".strip(), err=True)
        raise typer.Exit(2) from None
    finally:
        container.close()
    _show_plan(seller_id, application_id, operation)


@plans_app.command("show")
def plans_show(seller_id: str, application_id: str) -> None:
    """The plan of each operation for one seller and application."""
    from solicitations.domain.usage_plans import DEFAULT_PLANS

    for operation in DEFAULT_PLANS:
        _show_plan(seller_id, application_id, operation)


def main() -> None:
    app()
