"""The requester's journal: one SQLite row per order with its latest decision, committed as it is taken.

"sending" is written (and fsynced) before the create request leaves and "asked" after its answer, so a run
killed in between knows on the next start that the request may have arrived, and sends it again as a
repeat (a 403 "not available" then means it had). An order once asked is never asked again.
"""

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class State(StrEnum):
    SENDING = "sending"  # the create request may have left; its answer is not recorded
    ASKED = "asked"
    NOT_OFFERED = "not_offered"  # `reason` says why
    WAITING = "waiting"  # not yet in its window; `opens` says when it will be
    FAILED = "failed"  # `reason` says what went wrong; tried again next run


@dataclass(frozen=True)
class Entry:
    amazon_order_id: str
    state: State
    reason: str | None
    opens: datetime | None
    maybe_sent: bool  # a create request for it may have reached the service
    run_id: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,  -- the run's "today", ISO 8601
    endpoint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    amazon_order_id TEXT PRIMARY KEY,
    marketplace_id TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    opens TEXT,
    maybe_sent INTEGER NOT NULL DEFAULT 0,
    run_id INTEGER NOT NULL REFERENCES runs(id)
);
"""


class Journal:
    def __init__(self, path: Path) -> None:
        # Autocommit: every statement is its own transaction, durable (synchronous FULL) when it returns.
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def start_run(self, now: datetime, endpoint: str) -> int:
        cursor = self._db.execute("INSERT INTO runs (started_at, endpoint) VALUES (?, ?)", (now.isoformat(), endpoint))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def get(self, amazon_order_id: str) -> Entry | None:
        row = self._db.execute(
            "SELECT amazon_order_id, state, reason, opens, maybe_sent, run_id FROM orders WHERE amazon_order_id = ?",
            (amazon_order_id,),
        ).fetchone()
        if row is None:
            return None
        return Entry(
            row[0], State(row[1]), row[2], datetime.fromisoformat(row[3]) if row[3] else None, bool(row[4]), row[5]
        )

    def record(
        self,
        run_id: int,
        amazon_order_id: str,
        marketplace_id: str,
        state: State,
        *,
        reason: str | None = None,
        opens: datetime | None = None,
    ) -> None:
        """The order's decision now; once "sending" was written, `maybe_sent` stays until it is asked."""
        self._db.execute(
            """INSERT INTO orders (amazon_order_id, marketplace_id, state, reason, opens, maybe_sent, run_id)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (amazon_order_id) DO UPDATE SET
                 state = excluded.state, reason = excluded.reason, opens = excluded.opens, run_id = excluded.run_id,
                 maybe_sent = CASE WHEN excluded.state = 'asked' THEN 0
                                   ELSE max(orders.maybe_sent, excluded.maybe_sent) END""",
            (
                amazon_order_id,
                marketplace_id,
                state.value,
                reason,
                opens.isoformat() if opens else None,
                int(state is State.SENDING),
                run_id,
            ),
        )
