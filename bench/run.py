"""The benchmark: the service on one pinned core, wrk on the other, one table of medians.

Every server (the raw ASGI baseline and one service process per configuration and dataset) runs at
once on core 0; rounds are interleaved across all scenarios, so the machine's noise falls on every row
alike and the ratios compare side by side. Loopback only; bounded: a fixed number of rounds of fixed
length. Usage: `make bench` or `python bench/run.py [--sizes 10000,1000000] [--rounds 3] [--seconds 5]`.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Protocol

import dataset
from dataset import ACCESS_TOKEN, APPLICATION, ELIGIBLE, INELIGIBLE, MARKETPLACE, POOL, SELLER, Dataset

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVER_CORE, CLIENT_CORE = "0", "1"
CONNECTIONS = 32
POOL_SIZE = 100_000  # fresh orders per POST round: 5 s at 20k req/s
TARGETS = {"get_rps": 12_000, "post_rps": 4_000, "p99_ms": 5.0, "scale": 0.9, "rss_mb": 150}
PG_TARGETS = {"get_rps": 5_000, "post_rps": 2_500, "p99_ms": 15.0}
HEALTHZ_P99_MS = 50.0  # while a POST is stuck in the store, or bad client secrets flood in
ORDER_PATH = "/solicitations/v1/orders/{prefix}%07d"
QUERY = f"?marketplaceIds={MARKETPLACE}"
ACTION = "/solicitations/productReviewAndSellerFeedback"
ANALYSIS = "## Analysis"  # RESULTS.md from this heading on is written by hand and kept across runs


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package (running as root)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is missing: install it with `sudo apt-get install wrk` (Debian/Ubuntu), then rerun")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time a process (all its threads) has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """One server process pinned to the server core, with its peak RSS sampled while it is driven."""

    label: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    peak_rss_kb: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        out = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, sys.executable, *self.argv, str(self.port)],
            env={**os.environ, **self.env},
            stdout=out,
            stderr=out,
            cwd=self.log.parent if self.log else None,  # whatever a server writes stays in the work folder
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                sys.exit(f"{self.label}: server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"{self.label}: server did not answer /healthz within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        assert self.process is not None
        return process_cpu_seconds(self.process.pid)

    def rss_kb(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def service(
    label: str,
    data: Dataset | dataset.PostgresDataset,
    admin_token: str,
    log_dir: Path,
    worker: bool = False,
    **settings: str,
) -> Server:
    """`solicitations serve` on `data`; `settings` are SOLICITATIONS_* overrides (access log off by default).

    The lean configuration by default; `worker=True, access_log="true"` is the default `serve`, as users run it.
    """
    env = {
        "SOLICITATIONS_DATABASE_URL": data.url,
        "SOLICITATIONS_ADMIN_TOKEN": admin_token,
        "SOLICITATIONS_ACCESS_LOG": "false",
        "SOLICITATIONS_MAILDIR": str(log_dir / "mail"),
        **{f"SOLICITATIONS_{k.upper()}": v for k, v in settings.items()},
    }
    # Lean: the API alone, delivery on its own worker processes (`solicitations worker`); with `worker`, the
    # in-process worker spends the measured core rendering the POSTs' emails, as it does for users.
    argv = ["-m", "solicitations", "serve", *([] if worker else ["--no-worker"]), "--port"]
    return Server(label, argv, env, log=log_dir / f"{label.replace(' ', '_')}.log")


@dataclass
class Scenario:
    name: str
    server: Server
    method: str
    template: str
    first: int
    count: int
    mode: str = "random"
    token: str = ACCESS_TOKEN
    before_round: Callable[[], None] | None = None
    after_round: Callable[[], None] | None = None
    rounds: list[dict[str, float]] = field(default_factory=list)

    def drive(self, wrk: str, seconds: float) -> dict[str, float]:
        if self.before_round:
            self.before_round()
        command = [
            "taskset", "-c", CLIENT_CORE, wrk, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
            "-s", str(BENCH / "wrk.lua"), self.server.base_url,
            "--", self.method, self.template, str(self.first), str(self.count), self.mode, self.token,
        ]  # fmt: skip
        stop = threading.Event()
        sampler = threading.Thread(target=self._sample_rss, args=(stop,), daemon=True)
        sampler.start()
        cpu_before = self.server.cpu_seconds()
        try:
            output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 30).stdout
        finally:
            stop.set()
            sampler.join()
        cpu = self.server.cpu_seconds() - cpu_before
        if self.after_round:
            self.after_round()
        summary = json.loads(next(line for line in output.splitlines() if line.startswith("BENCH "))[6:])
        wall = summary["duration_us"] / 1e6
        return {
            "rps": summary["requests"] / wall,
            "p50_ms": summary["p50_us"] / 1000,
            "p99_ms": summary["p99_us"] / 1000,
            "errors": summary["non_2xx"] + summary["socket_errors"],
            # CPU the server itself spent per request, and the share of its core it got: what the
            # neighbours on a shared machine change least, and what they took.
            "cpu_us": cpu / max(summary["requests"], 1) * 1e6,
            "core_share": cpu / wall,
        }

    def _sample_rss(self, stop: threading.Event) -> None:
        while not stop.wait(0.25):
            self.server.peak_rss_kb = max(self.server.peak_rss_kb, self.server.rss_kb())

    def median(self, *keys: str) -> dict[str, float]:
        return medians(self.rounds, *keys)


def medians(rounds: list[dict[str, float]], *keys: str) -> dict[str, float]:
    """Medians of `keys` over the rounds (errors: their sum)."""
    figures = {k: statistics.median(r[k] for r in rounds) for k in keys or ("rps", "p50_ms", "p99_ms")}
    return {**figures, "errors": sum(r["errors"] for r in rounds)}


class Driven(Protocol):
    """Anything measured in rounds: a wrk scenario here, a driver's statement shape in pg_drivers.py."""

    rounds: list[dict[str, float]]

    def drive(self, wrk: str, seconds: float) -> dict[str, float]: ...


def delivered(data: Dataset | dataset.PostgresDataset, timeout: float = 120) -> None:
    """Wait until an in-process worker has sent the round's emails: rendering them after the round would
    spend the server core while the next scenario is measured."""
    deadline = time.monotonic() + timeout
    while (pending := dataset.pending_messages(data)) and time.monotonic() < deadline:
        time.sleep(0.5)
    if pending:
        print(f"{pending} emails still pending after {timeout:.0f} s: the next round shares the core with them")


def default_post(label: str, server: Server, path: str, data: Dataset | dataset.PostgresDataset) -> Scenario:
    """POSTs to a default `serve` (its worker delivering), each round waiting for the deliveries to end."""
    forget = (
        partial(dataset.forget_solicitations, data)
        if isinstance(data, Dataset)
        else partial(dataset.forget_postgres_solicitations, data)
    )
    return Scenario(
        label, server, "POST", path, 0, POOL_SIZE, "sequence", before_round=forget, after_round=partial(delivered, data)
    )


def grant_plans(server: Server, admin_token: str) -> None:
    """A plan too high to throttle (the admin API's maximum), through the real admin API."""
    for operation in ("getSolicitationActionsForOrder", "createProductReviewAndSellerFeedbackSolicitation"):
        request = urllib.request.Request(
            f"{server.base_url}/admin/v1/usage-plans/{SELLER}/{APPLICATION}/{operation}",
            data=json.dumps({"rate": 100_000, "burst": 9000}).encode(),
            method="PUT",
            headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def size_label(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def sqlite_scenarios(
    size: int, work: Path, admin_token: str, optional_parts: bool
) -> tuple[list[Server], list[Scenario]]:
    """GET and POST on SQLite; with `optional_parts` (the smallest dataset), also metrics off and the default
    `serve` (worker and access log on) beside the lean one."""
    label = size_label(size)
    started = time.monotonic()
    data = dataset.build(work, size)
    post_data = dataset.with_post_pool(data, POOL_SIZE)
    print(f"dataset {label}: {size} orders (+{POOL_SIZE} POST pool) ready in {time.monotonic() - started:.1f} s")
    api = service(f"{label} api", data, admin_token, work)
    logged = service(f"{label} api log", data, admin_token, work, access_log="true")
    full = service(f"{label} post FULL", post_data, admin_token, work, sqlite_synchronous="FULL")
    normal = service(f"{label} post NORMAL", post_data, admin_token, work, sqlite_synchronous="NORMAL")
    servers = [api, logged, full, normal]
    get_eligible = ORDER_PATH.format(prefix=ELIGIBLE) + QUERY
    get_ineligible = ORDER_PATH.format(prefix=INELIGIBLE) + QUERY
    post = ORDER_PATH.format(prefix=POOL) + ACTION + QUERY
    forget = partial(dataset.forget_solicitations, post_data)
    scenarios = [
        Scenario(f"{label} GET eligible", api, "GET", get_eligible, 0, data.eligible),
        Scenario(f"{label} GET ineligible", api, "GET", get_ineligible, 0, data.ineligible),
        Scenario(f"{label} POST fresh (FULL)", full, "POST", post, 0, POOL_SIZE, "sequence", before_round=forget),
        Scenario(f"{label} POST fresh (NORMAL)", normal, "POST", post, 0, POOL_SIZE, "sequence", before_round=forget),
        Scenario(f"{label} GET eligible, access log on", logged, "GET", get_eligible, 0, data.eligible),
    ]
    if optional_parts:
        bare = service(f"{label} api no metrics", data, admin_token, work, metrics="false")
        default_data = dataset.with_post_pool(data, POOL_SIZE, suffix="post-default")
        default = service(f"{label} default serve", default_data, admin_token, work, worker=True, access_log="true")
        servers += [bare, default]
        scenarios += [
            Scenario(f"{label} GET eligible, metrics off", bare, "GET", get_eligible, 0, data.eligible),
            Scenario(f"{label} GET eligible, default serve", default, "GET", get_eligible, 0, data.eligible),
            default_post(f"{label} POST fresh (FULL), default serve", default, post, default_data),
        ]
    return servers, scenarios


def postgresql_scenarios(size: int, work: Path, admin_token: str) -> tuple[list[Server], list[Scenario], str | None]:
    """GET and POST on PostgreSQL (sharing the two cores with the server and wrk: a floor, not a ceiling), lean
    and default `serve`, each on a database of its own (a worker would deliver the other's emails)."""
    label = f"{size_label(size)} PostgreSQL"
    data = dataset.build_postgres(size, POOL_SIZE)
    default_data = dataset.build_postgres(size, POOL_SIZE, name=f"solicitations_bench_{size}_default")
    if isinstance(data, str) or isinstance(default_data, str):
        return [], [], str(data if isinstance(data, str) else default_data)
    api = service(f"{label} api", data, admin_token, work)
    default = service(f"{label} default serve", default_data, admin_token, work, worker=True, access_log="true")
    get = ORDER_PATH.format(prefix=ELIGIBLE) + QUERY
    post = ORDER_PATH.format(prefix=POOL) + ACTION + QUERY
    forget = partial(dataset.forget_postgres_solicitations, data)
    scenarios = [
        Scenario(f"{label} GET eligible", api, "GET", get, 0, data.eligible),
        Scenario(f"{label} POST fresh", api, "POST", post, 0, POOL_SIZE, "sequence", before_round=forget),
        Scenario(f"{label} GET eligible, default serve", default, "GET", get, 0, data.eligible),
        default_post(f"{label} POST fresh, default serve", default, post, default_data),
    ]
    return [api, default], scenarios, None


def machine() -> dict[str, str]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src", "bench"], cwd=ROOT, capture_output=True, text=True
    )
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {model}",
        "python": platform.python_version(),
        **{name: metadata.version(name) for name in ("uvicorn", "starlette", "sqlalchemy", "uvloop", "httptools")},
        "wrk": wrk_version.split(" [")[0],
        "load": "load average before the run " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": (commit.stdout.strip() or "unknown")
        + (" (with uncommitted changes)" if dirty.stdout.strip() else ""),
    }


def table(scenarios: list[Scenario], raw: Scenario, notes: list[str]) -> tuple[str, dict[str, dict[str, float]]]:
    raw_rps = raw.median()["rps"]
    figures: dict[str, dict[str, float]] = {}
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | errors | ratio to raw | server CPU µs/req | at a full core, req/s "
        "| core share | server peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in [raw, *scenarios]:
        m = s.median()
        figures[s.name] = {**{k: round(v, 3) for k, v in m.items()}, "ratio_to_raw": round(m["rps"] / raw_rps, 3)}
        c = s.median("cpu_us", "core_share")
        lines.append(
            f"| {s.name} | {m['rps']:,.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {m['errors']:.0f} "
            f"| {m['rps'] / raw_rps:.2f} | {c['cpu_us']:.0f} | {1e6 / c['cpu_us']:,.0f} | {c['core_share']:.0%} "
            f"| {s.server.peak_rss_kb / 1024:.0f} |"
        )
    lines += ["", *notes]
    return "\n".join(lines), figures


def verdicts(figures: dict[str, dict[str, float]], servers: list[Server], sizes: list[int]) -> list[str]:
    out: list[str] = []

    def check(ok: bool, text: str) -> None:
        out.append(f"- {'met' if ok else 'MISSED'}: {text}")

    for size in sizes:
        label = size_label(size)
        for name in (f"{label} GET eligible", f"{label} GET ineligible"):
            rps, p99 = figures[name]["rps"], figures[name]["p99_ms"]
            check(rps >= TARGETS["get_rps"], f"{name} {rps:,.0f} req/s ≥ {TARGETS['get_rps']:,}")
            check(p99 <= TARGETS["p99_ms"], f"{name} p99 {p99:.2f} ms ≤ {TARGETS['p99_ms']} ms")
        for mode in ("FULL", "NORMAL"):
            name = f"{label} POST fresh ({mode})"
            rps, p99 = figures[name]["rps"], figures[name]["p99_ms"]
            check(rps >= TARGETS["post_rps"], f"{name} {rps:,.0f} req/s ≥ {TARGETS['post_rps']:,}")
            check(p99 <= TARGETS["p99_ms"], f"{name} p99 {p99:.2f} ms ≤ {TARGETS['p99_ms']} ms")
    if len(sizes) > 1:
        small, large = size_label(min(sizes)), size_label(max(sizes))
        ratio = figures[f"{large} GET eligible"]["rps"] / figures[f"{small} GET eligible"]["rps"]
        check(ratio >= TARGETS["scale"], f"GET on {large} / GET on {small} = {ratio:.2f} ≥ {TARGETS['scale']}")
    for name, figure in figures.items():
        if ("PostgreSQL" in name and "PostgreSQL GET" in name) or "PostgreSQL POST" in name:
            kind = "get_rps" if " GET " in name else "post_rps"
            rps, p99 = figure["rps"], figure["p99_ms"]
            check(rps >= PG_TARGETS[kind], f"{name} {rps:,.0f} req/s ≥ {PG_TARGETS[kind]:,}")
            check(p99 <= PG_TARGETS["p99_ms"], f"{name} p99 {p99:.2f} ms ≤ {PG_TARGETS['p99_ms']} ms")
        elif name.startswith("/healthz"):
            p99 = figure["healthz_p99_ms"]
            check(p99 <= HEALTHZ_P99_MS, f"{name}: p99 {p99:.1f} ms ≤ {HEALTHZ_P99_MS:.0f} ms")
    peak = max(servers, key=lambda s: s.peak_rss_kb)
    check(
        peak.peak_rss_kb / 1024 <= TARGETS["rss_mb"],
        f"peak server RSS under load {peak.peak_rss_kb / 1024:.0f} MB ({peak.label}) ≤ {TARGETS['rss_mb']} MB",
    )
    return out


def drive_interleaved(scenarios: Sequence[Driven], wrk: str, warmup: float, rounds: int, seconds: float) -> None:
    """A warm-up for each scenario, then `rounds` rounds taking each in turn: the machine's noise lands on all."""
    for s in scenarios:
        s.drive(wrk, warmup)
    for number in range(1, rounds + 1):
        for s in scenarios:
            s.rounds.append(s.drive(wrk, seconds))
        print(f"round {number}/{rounds} done", flush=True)


def main() -> None:
    import stalls  # here, not above: it imports this module (as secret_checks and pg_drivers do)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="dataset sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="length of one measured round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per scenario")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "solicitations-bench",
        help="where datasets, logs and Maildirs live (outside the repository; datasets are reused for a day)",
    )
    args = parser.parse_args()
    if (os.cpu_count() or 1) < 2:
        sys.exit("the benchmark needs 2 cores: the server on one, wrk on the other")
    wrk = ensure_wrk()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.work.mkdir(parents=True, exist_ok=True)
    admin_token = secrets.token_urlsafe(24)

    raw_server = Server("raw", [str(BENCH / "raw_app.py")], log=args.work / "raw.log")
    raw = Scenario("raw ASGI hello-world", raw_server, "GET", "/hello/%07d", 0, 1, token="")
    servers, scenarios = [raw_server], []
    for size in sizes:
        more_servers, more = sqlite_scenarios(size, args.work, admin_token, optional_parts=size == min(sizes))
        servers += more_servers
        scenarios += more
    pg_servers, pg_scenarios, why_not = postgresql_scenarios(min(sizes), args.work, admin_token)
    servers += pg_servers
    scenarios += pg_scenarios
    notes = [why_not] if why_not else []

    info = machine()  # before the run: the load average says how busy the neighbours were
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        for size in sizes:  # plans live in the store: one grant per dataset file reaches every server on it
            for server in servers:
                if server.label.startswith(size_label(size) + " "):
                    grant_plans(server, admin_token)
        everything = [raw, *scenarios]
        total = len(everything) * (args.warmup + args.rounds * args.seconds)
        print(f"{len(everything)} scenarios × ({args.warmup} s warm-up + {args.rounds} × {args.seconds} s): ~{total} s")
        drive_interleaved(everything, wrk, args.warmup, args.rounds, args.seconds)
        stuck_on = next(s for s in servers if s.label == f"{size_label(min(sizes))} post FULL")
        stall_rows = stalls.measure(
            stuck_on, next((s for s in pg_servers if s.label.endswith(" api")), None), admin_token
        )
    finally:
        for server in servers:
            server.stop()

    text, figures = table(scenarios, raw, notes)
    text += "\n\n### The event loop while the store waits or secrets flood in\n\n" + stalls.table(stall_rows)
    figures.update({name: {k: round(v, 3) for k, v in row.items()} for name, row in stall_rows.items()})
    checks = verdicts(figures, servers[1:], sizes)
    header = (
        f"{info['date']}, {info['cpu']}, commit {info['commit']}, {info['load']}\n"
        f"Python {info['python']}, uvicorn {info['uvicorn']} (uvloop {info['uvloop']}, httptools "
        f"{info['httptools']}), starlette {info['starlette']}, sqlalchemy {info['sqlalchemy']}, {info['wrk']}\n"
        f"server pinned to core {SERVER_CORE}, `wrk -t1 -c{CONNECTIONS}` on core {CLIENT_CORE}, loopback; "
        f"{args.warmup} s warm-up, medians of {args.rounds} × {args.seconds} s interleaved rounds; "
        f"errors = non-2xx + socket errors, summed over rounds"
    )
    print("\n" + header + "\n\n" + text + "\n\n" + "\n".join(checks))
    (BENCH / "last-run.json").write_text(json.dumps(figures, indent=2) + "\n")
    results = BENCH / "RESULTS.md"
    kept = results.read_text().partition(ANALYSIS)[2] if results.exists() else ""
    results.write_text(
        "# Last benchmark run\n\n`make bench` writes this file (keeping the analysis below); the figures are also in "
        "`last-run.json`.\n\n"
        + header.replace("\n", "  \n")
        + "\n\n"
        + text
        + "\n\n## Targets\n\n"
        + "\n".join(checks)
        + "\n\n"
        + ANALYSIS
        + (kept or "\n\n(written by hand after a run: what misses and why)\n")
    )
    if any(figures[s.name]["errors"] for s in scenarios):
        print(f"\nsome requests failed: the servers' logs are kept in {args.work}/*.log")
    else:
        for log in args.work.glob("*.log"):
            log.unlink()
    shutil.rmtree(args.work / "mail", ignore_errors=True)  # the default servers' deliveries: ~10k files a round


if __name__ == "__main__":
    main()
