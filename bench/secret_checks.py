"""How a flood of bad client secrets weighs on everything else a server answers: /healthz and API latency.

Every token request costs an argon2id verify (about 150 ms of CPU and 64 MiB). `--clients` threads post bad
client secrets back to back, each naming a fresh client id (as many clients would, so the per-client failure
limit never spares a check), while a prober alternates `GET /healthz` and an authenticated Solicitations GET.
The flood runs in a child process, so its Python work never delays the prober's. The server runs pinned to
core 0 as in bench/run.py, both client processes on core 1; SQLite, loopback, no worker.
Usage: `python bench/secret_checks.py [--clients 8] [--seconds 10]`.
"""

import argparse
import json
import multiprocessing as mp
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx

from run import CLIENT_CORE, Server

SELLER, APPLICATION, MARKETPLACE = "ABENCHSELLER1", "amzn1.sp.solution.bench", "ATVPDKIKX0DER"
ORDER = "111-0000000-0000001"
PROBE_PAUSE_S = 0.02


def prepare(server: Server, admin_token: str) -> str:
    """An eligible order and an access token for the prober, through the admin API."""
    delivered = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    order = {
        "AmazonOrderId": ORDER,
        "SellerId": SELLER,
        "MarketplaceId": MARKETPLACE,
        "OrderStatus": "Shipped",
        "PurchaseDate": delivered,
        "EarliestDeliveryDate": delivered,
        "LatestDeliveryDate": delivered,
    }
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as admin:
        admin.put(f"/admin/v1/orders/{ORDER}", json=order).raise_for_status()
        issued = admin.post("/admin/v1/access-tokens", json={"sellerId": SELLER, "applicationId": APPLICATION})
        issued.raise_for_status()
        return str(issued.json()["access_token"])


def flood(
    base_url: str, clients: int, stop: EventType, results: "mp.Queue[tuple[dict[int, int], list[float]]]"
) -> None:
    """`clients` threads posting bad client secrets until `stop`, each under a client id never seen before;
    their status counts and latencies go to `results`."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as session:
            while not stop.is_set():
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": "Atzr|bench",
                    "client_id": f"amzn1.application-oa2-client.{secrets.token_hex(16)}",
                    "client_secret": "amzn1.oa2-cs.v1.wrong",
                }
                started = time.perf_counter()
                status = session.post("/auth/o2/token", data=form).status_code
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((dict(statuses), latencies))


def probe(base_url: str, token: str, seconds: float) -> dict[str, list[float]]:
    """Latencies of /healthz and of the API GET, taken in turn for `seconds`."""
    samples: dict[str, list[float]] = {"healthz": [], "api": []}
    api_path = f"/solicitations/v1/orders/{ORDER}?marketplaceIds={MARKETPLACE}"
    with httpx.Client(base_url=base_url, timeout=120, headers={"x-amz-access-token": token}) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for name, path in (("healthz", "/healthz"), ("api", api_path)):
                started = time.perf_counter()
                response = client.get(path)
                samples[name].append(time.perf_counter() - started)
                if response.status_code != 200:
                    sys.exit(f"{path} answered {response.status_code}: {response.text[:200]}")
            time.sleep(PROBE_PAUSE_S)
    return samples


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def phase(server: Server, token: str, clients: int, seconds: float) -> dict[str, float]:
    context = mp.get_context("fork")
    stop, results = context.Event(), context.Queue()
    flooding = context.Process(target=flood, args=(server.base_url, clients, stop, results)) if clients else None
    if flooding:
        flooding.start()
    cpu_before, started = server.cpu_seconds(), time.monotonic()
    try:
        samples = probe(server.base_url, token, seconds)
    finally:
        stop.set()
    statuses, token_latencies = results.get(timeout=600) if flooding else ({}, [])
    if flooding:
        flooding.join()
    wall = time.monotonic() - started
    figures = {
        "healthz_p50_ms": percentile(samples["healthz"], 50) * 1000,
        "healthz_p99_ms": percentile(samples["healthz"], 99) * 1000,
        "healthz_max_ms": max(samples["healthz"]) * 1000,
        "api_p50_ms": percentile(samples["api"], 50) * 1000,
        "api_p99_ms": percentile(samples["api"], 99) * 1000,
        "probes": len(samples["healthz"]),
        "server_core_share": (server.cpu_seconds() - cpu_before) / wall,
    }
    if clients:
        figures["token_answers_per_s"] = sum(statuses.values()) / wall
        figures["token_p50_ms"] = percentile(token_latencies, 50) * 1000
        figures.update({f"token_{status}": count for status, count in sorted(statuses.items())})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="threads sending bad client secrets")
    parser.add_argument("--seconds", type=float, default=10, help="length of the flood (the idle phase: half)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {int(CLIENT_CORE)})
    work = Path(tempfile.mkdtemp(prefix="solicitations-secret-checks-"))
    admin_token = secrets.token_urlsafe(24)
    env = {
        "SOLICITATIONS_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "SOLICITATIONS_ADMIN_TOKEN": admin_token,
        "SOLICITATIONS_ACCESS_LOG": "false",
        "SOLICITATIONS_PLAN_RATE": "100000",
        "SOLICITATIONS_PLAN_BURST": "9000",
        "SOLICITATIONS_MAILDIR": str(work / "mail"),
    }
    server = Server("secret checks", ["-m", "solicitations", "serve", "--no-worker", "--port"], env, log=work / "s.log")
    try:
        server.start()
        server.wait_ready()
        token = prepare(server, admin_token)
        idle = phase(server, token, 0, args.seconds / 2)
        flooded = phase(server, token, args.clients, args.seconds)
    finally:
        server.stop()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"server on core 0, clients on core {CLIENT_CORE}; load average {load}; logs in {work}")
    print(f"{'':34} {'healthz p50':>12} {'p99':>9} {'max':>9} {'API GET p50':>12} {'p99':>9}  token answers")
    for label, figures in (("idle", idle), (f"{args.clients} clients sending bad secrets", flooded)):
        answers = ", ".join(f"{k[6:]}: {v:.0f}" for k, v in figures.items() if k[6:].isdigit())
        if answers:
            answers += f" ({figures['token_answers_per_s']:.1f}/s, p50 {figures['token_p50_ms']:.0f} ms)"
        print(
            f"{label:34} {figures['healthz_p50_ms']:9.1f} ms {figures['healthz_p99_ms']:6.1f} ms "
            f"{figures['healthz_max_ms']:6.1f} ms {figures['api_p50_ms']:9.1f} ms {figures['api_p99_ms']:6.1f} ms  "
            f"{answers or '-'}"
        )
    if args.json:
        print(json.dumps({"idle": idle, "flood": flooded}, indent=2))


if __name__ == "__main__":
    main()
