"""`solicitations seed` and `examples/orders.jsonl` through the import path, on real databases."""

from pathlib import Path

from typer.testing import CliRunner

from helpers import Clock, read_now
from solicitations.bootstrap import Container
from solicitations.entrypoints.cli import CliContext, app
from solicitations.service.demo import SELLER_ID
from solicitations.service.seeding import generate_orders

EXAMPLE = Path(__file__).parents[2] / "examples/orders.jsonl"


def test_seed_writes_the_generated_orders_and_a_second_run_upserts_them(
    database_url: str, container: Container, clock: Clock
) -> None:
    args = ["--database-url", database_url, "seed", "--orders", "40", "--seed", "3"]
    for _ in range(2):
        result = CliRunner().invoke(app, args, obj=CliContext(clock=clock))
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == f"seeded 40 orders for {SELLER_ID} (seed 3)"
    for document in generate_orders(40, 3, clock(), SELLER_ID):
        stored = read_now(container.store, lambda uow: uow.orders.find(document["AmazonOrderId"]))
        assert stored is not None
        assert stored.order.to_document() == document


def test_the_example_file_imports_cleanly(database_url: str, container: Container, clock: Clock) -> None:
    args = ["--database-url", database_url, "orders", "import", str(EXAMPLE)]
    result = CliRunner().invoke(app, args, obj=CliContext(clock=clock))
    assert result.exit_code == 0, result.output
    lines = EXAMPLE.read_text().splitlines()
    assert result.stdout.strip() == f"imported {len(lines)} orders, skipped 0"
    assert read_now(container.store, lambda uow: uow.orders.find("302-7731046-2290514")) is not None
