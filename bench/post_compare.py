"""POST before and after a change, in one run: the same wrk POST scenario against a server of each revision.

`make bench` measures one revision; judging a change to the POST path needs the old code beside the new on
the same machine at the same moment (a shared machine's neighbours move every figure). This starts one
`solicitations serve` of the working tree and one of `--before` (its `src/`, taken with `git archive`),
each on its own copy of a dataset with a POST pool, both pinned to the server core, and interleaves their
rounds. Usage: `python bench/post_compare.py [--before main] [--synchronous FULL,NORMAL] [--rounds 3]`.
"""

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import dataset
from run import (
    ACTION,
    BENCH,
    ORDER_PATH,
    POOL_SIZE,
    QUERY,
    ROOT,
    Scenario,
    drive_interleaved,
    ensure_wrk,
    grant_plans,
    service,
)

POOL = dataset.POOL


def source_of(revision: str, into: Path) -> Path:
    """The `src/` folder of `revision`, extracted under `into`."""
    archive = subprocess.run(["git", "archive", revision, "src"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="the revision to compare the working tree with")
    parser.add_argument("--synchronous", default="FULL", help="SQLite synchronous modes, comma-separated")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "solicitations-bench")
    args = parser.parse_args()
    wrk = ensure_wrk()
    args.work.mkdir(parents=True, exist_ok=True)
    admin_token = secrets.token_urlsafe(24)
    data = dataset.with_post_pool(dataset.build(args.work, args.orders), POOL_SIZE)
    post = ORDER_PATH.format(prefix=POOL) + ACTION + QUERY
    scenarios: list[Scenario] = []
    with tempfile.TemporaryDirectory() as scratch:
        old_src = source_of(args.before, Path(scratch))
        for mode in args.synchronous.upper().split(","):
            for label, src in ((f"before ({args.before})", old_src), ("after (working tree)", ROOT / "src")):
                copy = dataset.Dataset(
                    args.work / f"compare-{len(scenarios)}.db", data.eligible, data.ineligible, data.pool
                )
                shutil.copyfile(data.path, copy.path)
                server = service(f"{label} {mode}", copy, admin_token, args.work, sqlite_synchronous=mode)
                server.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
                scenarios.append(
                    Scenario(
                        f"POST fresh, {mode}, {label}",
                        server,
                        "POST",
                        post,
                        0,
                        POOL_SIZE,
                        "sequence",
                        before_round=lambda copy=copy: dataset.forget_solicitations(copy),  # type: ignore[misc]
                    )
                )
        try:
            for s in scenarios:
                s.server.start()
            for s in scenarios:
                s.server.wait_ready()
                grant_plans(s.server, admin_token)
            drive_interleaved(scenarios, wrk, 2, args.rounds, args.seconds)
        finally:
            for s in scenarios:
                s.server.stop()
    print(f"\nmedians of {args.rounds} × {args.seconds} s interleaved rounds, wrk -c32 on loopback, {BENCH.name}/")
    print(f"{'scenario':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU µs/req':>11}")
    for s in scenarios:
        m = s.median("rps", "p50_ms", "p99_ms")
        cpu = statistics.median(r["cpu_us"] for r in s.rounds)
        print(f"{s.name:48} {m['rps']:8,.0f} {m['p50_ms']:8.2f} {m['p99_ms']:8.2f} {m['errors']:7.0f} {cpu:11.1f}")


if __name__ == "__main__":
    main()
