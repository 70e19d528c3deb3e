"""Does anything block the event loop? /healthz latency while a POST is stuck in the store, or secrets flood in.

For `make bench` (issue 11's measures), on servers run.py already started: a POST for a fresh order waits on
a row another session holds (PostgreSQL: an uncommitted insert of the same solicitation) or on SQLite's
write lock (another connection's BEGIN IMMEDIATE) until the store gives up, while secret_checks.py's prober
times /healthz and a GET of another order; then 8 clients send bad client secrets, as secret_checks.py does.
Bounded: one stuck POST (the store's 5 s timeout) and a few seconds of probes per row.
"""

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

import dataset
import secret_checks
from dataset import APPLICATION, MARKETPLACE, POOL, SELLER
from run import ACTION, CLIENT_CORE, ORDER_PATH, POOL_SIZE, QUERY, Server

PROBE_SECONDS = 3.0
FLOOD_CLIENTS, FLOOD_SECONDS = 8, 8.0
STUCK_ORDER = POOL_SIZE - 1  # the pool's last order: no POST round reaches it


def store_url(server: Server) -> str:
    return server.env["SOLICITATIONS_DATABASE_URL"]


@contextlib.contextmanager
def sqlite_write_lock(server: Server) -> Iterator[None]:
    """SQLite's write lock on the server's file, held by another connection (as another process's write)."""
    db = sqlite3.connect(str(make_url(store_url(server)).database), isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("ROLLBACK")
    finally:
        db.close()


@contextlib.contextmanager
def postgres_row_lock(server: Server) -> Iterator[None]:
    """The stuck order's solicitation inserted, uncommitted, by another session: the POST's insert waits on it."""
    with psycopg.connect(dataset.conninfo(store_url(server))) as db:
        db.execute(
            "INSERT INTO solicitations (amazon_order_id, action, seller_id, application_id, marketplace_id,"
            " created_at, request_id) VALUES (%s, 'productReviewAndSellerFeedback', %s, %s, %s, 0, 'bench-lock')",
            (f"{POOL}{STUCK_ORDER:07d}", SELLER, APPLICATION, MARKETPLACE),
        )
        yield
        db.rollback()


def healthz_while_post_waits(
    server: Server, token: str, lock: contextlib.AbstractContextManager[None]
) -> dict[str, float]:
    """secret_checks' probe figures while one POST waits on `lock`, with that POST's status and wait."""
    stuck: dict[str, float] = {}

    def post() -> None:
        started = time.perf_counter()
        path = ORDER_PATH.format(prefix=POOL) % STUCK_ORDER + ACTION + QUERY
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            response = client.post(path, headers={"x-amz-access-token": token})
        stuck.update(stuck_post_status=response.status_code, stuck_post_s=time.perf_counter() - started)

    with lock:
        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(0.2)  # the POST is in the store, waiting
        figures = secret_checks.phase(server, token, 0, PROBE_SECONDS)
        poster.join(60)
    return {**figures, **stuck}


def measure(sqlite_server: Server, pg_server: Server | None, admin_token: str) -> dict[str, dict[str, Any]]:
    """The rows: /healthz (and a GET of another order) while a POST is stuck, on each store; and under a flood."""
    os.sched_setaffinity(0, {int(CLIENT_CORE)})  # the probers (and the flood, forked) beside wrk, off the server
    rows: dict[str, dict[str, Any]] = {}
    token = secret_checks.prepare(sqlite_server, admin_token)
    rows["/healthz while a POST waits on a held write lock (SQLite)"] = healthz_while_post_waits(
        sqlite_server, token, sqlite_write_lock(sqlite_server)
    )
    if pg_server is not None:
        pg_token = secret_checks.prepare(pg_server, admin_token)
        rows["/healthz while a POST waits on a locked row (PostgreSQL)"] = healthz_while_post_waits(
            pg_server, pg_token, postgres_row_lock(pg_server)
        )
    rows[f"/healthz while {FLOOD_CLIENTS} clients send bad client secrets (SQLite)"] = secret_checks.phase(
        sqlite_server, token, FLOOD_CLIENTS, FLOOD_SECONDS
    )
    return rows


def table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| while | /healthz p50 ms | /healthz p99 ms | /healthz max ms | GET p99 ms | probes | server core share "
        "| stuck POST |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in rows.items():
        if "stuck_post_status" in r:
            aside = f"{r['stuck_post_status']:.0f} after {r['stuck_post_s']:.1f} s"
        else:
            aside = f"(token answers {r.get('token_answers_per_s', 0):.1f}/s)"
        lines.append(
            f"| {name.removeprefix('/healthz while ')} | {r['healthz_p50_ms']:.1f} | {r['healthz_p99_ms']:.1f} "
            f"| {r['healthz_max_ms']:.1f} | {r['api_p99_ms']:.1f} | {r['probes']:.0f} | {r['server_core_share']:.0%} "
            f"| {aside} |"
        )
    return "\n".join(lines)
