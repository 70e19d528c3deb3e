"""The requester against its plan: 200 eligible orders, every operation it calls granted 20/s burst 5.

Two sellers on one `solicitations serve` (wall clock, SQLite): the first timed in process (discovery and
decisions, not the interpreter's start) against the server's bucket's theoretical minimum, (200 - 5) / 20 s,
as both per-order operations draw from buckets of that plan; the second run as the command, SIGKILLed at a
random point and rerun. Figures: the medians of `--rounds`, and the server's own count of 429s (/metrics)
and of solicitations (its outbox). Usage: `python bench/requester.py [--rounds 3]`; writes its keys into
bench/last-run.json, leaving the others.
"""

import argparse
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from solicitations.client import Credentials, SellingPartnerClient
from solicitations.domain.usage_plans import CREATE_REVIEW_SOLICITATION, GET_ACTIONS, GET_ORDERS
from solicitations.requester.campaign import Requester
from solicitations.requester.journal import Journal

BENCH = Path(__file__).resolve().parent
MARKETPLACE = "ATVPDKIKX0DER"
ORDERS, RATE, BURST = 200, 20.0, 5
MINIMUM_S = (ORDERS - BURST) / RATE
ADMIN = secrets.token_urlsafe(24)


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOLICITATIONS_")},
        "SOLICITATIONS_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "SOLICITATIONS_ADMIN_TOKEN": ADMIN,
        "SOLICITATIONS_PUBLIC_URL": url,
        "SOLICITATIONS_MAILDIR": str(folder / "mail"),
    }
    log = open(folder / "server.log", "wb")  # noqa: SIM115 (the server's for its life)
    process = subprocess.Popen(
        [sys.executable, "-m", "solicitations", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    for _ in range(400):
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    sys.exit("the server did not start")


def provision(admin: httpx.Client, seller: str) -> Credentials:
    """A seller with 200 orders delivered 10 days ago (in their window) and an application on the plan."""
    app = admin.post("/admin/v1/applications", json={"name": seller}).raise_for_status().json()
    admin.put(f"/admin/v1/sellers/{seller}", json={"marketplaceIds": [MARKETPLACE]}).raise_for_status()
    grant = {"sellerId": seller, "applicationId": app["applicationId"]}
    refresh = admin.post("/admin/v1/authorizations", json=grant).raise_for_status().json()["refresh_token"]
    for operation in (GET_ORDERS, GET_ACTIONS, CREATE_REVIEW_SOLICITATION):
        plan = f"/admin/v1/usage-plans/{seller}/{app['applicationId']}/{operation}"
        admin.put(plan, json={"rate": RATE, "burst": BURST}).raise_for_status()
    delivered = datetime.now(UTC) - timedelta(days=10)
    for n in range(ORDERS):
        order_id = f"{seller[-3:]}-0000000-{n:07d}"
        doc = {
            "AmazonOrderId": order_id,
            "SellerId": seller,
            "MarketplaceId": MARKETPLACE,
            "OrderStatus": "Shipped",
            "PurchaseDate": iso(delivered - timedelta(days=3)),
            "EarliestDeliveryDate": iso(delivered),
            "LatestDeliveryDate": iso(delivered),
            "BuyerInfo": {"BuyerEmail": f"{order_id}@example.com"},
        }
        admin.put(f"/admin/v1/orders/{order_id}", json=doc).raise_for_status()
    return Credentials(app["clientId"], app["clientSecret"], refresh)


def throttled(url: str) -> float:
    metrics = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).text
    return sum(float(v) for v in re.findall(r"^solicitations_throttled_requests_total\{[^}]*\} (\S+)$", metrics, re.M))


def timed_run(url: str, credentials: Credentials, journal: Path) -> tuple[float, int]:
    """Discovery and every decision in process: seconds, orders asked."""
    with SellingPartnerClient(credentials, endpoint=url, token_url=url + "/auth/o2/token") as client:
        client.get_orders([MARKETPLACE], created_after=datetime.now(UTC) - timedelta(days=1))  # LWA, not timed
        book = Journal(journal)
        requester = Requester(client, book, MARKETPLACE, datetime.now(UTC))
        started = time.monotonic()
        summary = requester.run(requester.discover(None), book.start_run(requester.now, url))
        elapsed = time.monotonic() - started
        book.close()
    return elapsed, len(summary.asked_now)


def killed_and_rerun(url: str, credentials: Credentials, journal: Path) -> tuple[int, dict[str, Any], str]:
    """The command SIGKILLed after a random 1-9 s, then rerun: orders asked before the kill, its summary, its table."""
    env = {
        **os.environ,
        "SP_API_ENDPOINT": url,
        "LWA_TOKEN_URL": url + "/auth/o2/token",
        "LWA_APP_ID": credentials.client_id,
        "LWA_CLIENT_SECRET": credentials.client_secret,
        "SP_API_REFRESH_TOKEN": credentials.refresh_token,
        "SP_API_MARKETPLACE_ID": MARKETPLACE,
    }
    command = [sys.executable, "-m", "solicitations", "request-reviews", "--journal", str(journal)]
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(1.0, 9.0))
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    with sqlite3.connect(journal) as db:
        before = int(db.execute("SELECT count(*) FROM orders WHERE state = 'asked'").fetchone()[0])
    table = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    summary = json.loads(
        subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, check=True).stdout
    )
    return before, summary, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"seconds": [], "ratio": [], "asked": [], "429s": [], "after kill": []}
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-requester-") as tmp:
            folder = Path(tmp)
            server, url = start_server(folder)
            try:
                with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}) as admin:
                    timed, killed = provision(admin, "ABENCHSELLERONE"), provision(admin, "ABENCHSELLERTWO")
                    elapsed, asked = timed_run(url, timed, folder / "timed.db")
                    before, summary, table = killed_and_rerun(url, killed, folder / "killed.db")
                    recorded = len(admin.get("/admin/v1/outbox", params={"limit": 1000}).json()["messages"])
                    print(f"round {round_ + 1}: killed after {before} asked; the rerun's table:\n{table}", flush=True)
                rows["seconds"].append(elapsed)
                rows["ratio"].append(elapsed / MINIMUM_S)
                rows["asked"].append(asked)
                rows["429s"].append(throttled(url))
                rows["after kill"].append(summary["asked"])
                assert recorded == 2 * ORDERS, f"{recorded} solicitations recorded for two sellers of {ORDERS}"
            finally:
                server.terminate()
                server.wait()
    figures = {name: statistics.median(values) for name, values in rows.items()}
    met = figures["ratio"] <= 1.05 and figures["429s"] == 0 and figures["asked"] == figures["after kill"] == ORDERS
    print(f"\n{'':28}{'median':>10}  target")
    print(f"{'run, s':28}{figures['seconds']:>10.2f}  <= {1.05 * MINIMUM_S:.2f} (1.05 x {MINIMUM_S:.2f})")
    print(f"{'run / minimum':28}{figures['ratio']:>10.3f}  <= 1.05")
    print(f"{'429s seen by the server':28}{figures['429s']:>10.0f}  0")
    print(f"{'asked':28}{figures['asked']:>10.0f}  {ORDERS}")
    print(f"{'asked after SIGKILL + rerun':28}{figures['after kill']:>10.0f}  {ORDERS}")
    print("targets met" if met else "TARGETS MISSED")
    path = BENCH / "last-run.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"requester {ORDERS} orders at {RATE:g}/s burst {BURST}"] = {
        "seconds": round(figures["seconds"], 3),
        "minimum_s": MINIMUM_S,
        "ratio": round(figures["ratio"], 4),
        "server_429s": figures["429s"],
        "asked": figures["asked"],
        "asked_after_sigkill_and_rerun": figures["after kill"],
        "rounds": args.rounds,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
