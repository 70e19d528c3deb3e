"""CPU cost per request of the app itself: the ASGI callable driven in-process, no sockets, no HTTP parser.

On a shared, noisy machine the wrk figures move with the neighbours; CPU time spent by this process
per request moves much less, so this is the tool for judging a hot-path change (and with `--profile`,
for finding the next one). Usage: `python bench/asgi_cost.py [--orders 10000] [--requests 20000]`.
"""

import argparse
import asyncio
import cProfile
import pstats
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import dataset
from dataset import ACCESS_TOKEN, ELIGIBLE, INELIGIBLE, MARKETPLACE, POOL
from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

Message = MutableMapping[str, Any]


def scope(method: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": f"marketplaceIds={MARKETPLACE}".encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"x-amz-access-token", ACCESS_TOKEN.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def drive(app: Any, requests: list[tuple[str, str]], expect: int) -> float:
    """CPU seconds per request over `requests`, each answered with `expect`."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    status: list[int] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    started = time.process_time()
    for method, path in requests:
        await app(scope(method, path), receive, send)
    spent = time.process_time() - started
    wrong = [s for s in status if s != expect]
    if wrong:
        raise SystemExit(f"{len(wrong)} answers were not {expect}: {sorted(set(wrong))}")
    return spent / len(requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--synchronous", default="FULL", help="SQLite synchronous mode of the app under test")
    parser.add_argument("--no-metrics", action="store_true", help="the app under test runs without metrics")
    parser.add_argument("--profile", choices=["get", "post"], help="print the top functions of one scenario")

    args = parser.parse_args()
    work = Path(__file__).resolve().parent / "data"
    work.mkdir(exist_ok=True)
    data = dataset.build(work, args.orders)
    with tempfile.TemporaryDirectory() as scratch:
        copy = dataset.Dataset(Path(scratch) / "orders.db", data.eligible, data.ineligible, 0)
        shutil.copyfile(data.path, copy.path)
        post_data = dataset.with_post_pool(copy, args.requests * (args.repeats + 1))
        settings = Settings(
            database_url=post_data.url,
            access_log=False,
            sqlite_synchronous=args.synchronous,
            metrics=not args.no_metrics,
            plan_rate=100_000,
            plan_burst=9000,
        )
        container = bootstrap(settings)
        app = create_app(container)
        pick = random.Random(7)

        def gets(prefix: str, count: int) -> list[tuple[str, str]]:
            return [
                ("GET", f"/solicitations/v1/orders/{prefix}{pick.randrange(count):07d}") for _ in range(args.requests)
            ]

        posts = iter(range(post_data.pool))

        def fresh_posts() -> list[tuple[str, str]]:
            action = "/solicitations/productReviewAndSellerFeedback"
            return [("POST", f"/solicitations/v1/orders/{POOL}{next(posts):07d}{action}") for _ in range(args.requests)]

        cases: dict[str, tuple[Callable[[], list[tuple[str, str]]], int]] = {
            "get": (lambda: gets(ELIGIBLE, data.eligible), 200),
            "get ineligible": (lambda: gets(INELIGIBLE, data.ineligible), 200),
            "post": (fresh_posts, 201),
        }
        loop = asyncio.new_event_loop()
        if args.profile:
            make, expect = cases[args.profile]
            loop.run_until_complete(drive(app, make(), expect))
            profiler = cProfile.Profile()
            profiler.enable()
            loop.run_until_complete(drive(app, make(), expect))
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return
        for name, (make, expect) in cases.items():
            loop.run_until_complete(drive(app, make(), expect))  # warm-up
            costs = [loop.run_until_complete(drive(app, make(), expect)) * 1e6 for _ in range(args.repeats)]
            print(
                f"{name:15} {statistics.median(costs):7.1f} µs/request (median of {args.repeats}, min {min(costs):.1f})"
            )
        container.close()


if __name__ == "__main__":
    main()
