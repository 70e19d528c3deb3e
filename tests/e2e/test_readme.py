"""The README's "Try it" examples work as pasted, against `solicitations serve --demo` as a user starts it.

The server runs in a fresh directory (so the default `sqlite:///./solicitations.db` lands there) with no
SOLICITATIONS_* variables, i.e. with Amazon's default usage plans. The only change made to the examples is
the port: 8000 becomes a free one.
"""

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpers import free_port

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
PASTED_BASE = "http://127.0.0.1:8000"
DEMO_TOKEN = "Atza|demo-token-for-local-use-only"
ACTION = "productReviewAndSellerFeedback"
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)
# Print the HTTP status after the body, without touching the pasted command lines.
CURL_WITH_STATUS = "curl() { command curl --write-out '\\n%{http_code}' \"$@\"; }\n"


def try_it_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Try it\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Try it' section"
    return match.group(1)


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", try_it_section(), re.MULTILINE | re.DOTALL)


def shell_commands(block: str) -> list[str]:
    """The commands of a shell block: comments and blank lines dropped, continuation lines kept together."""
    commands: list[str] = []
    current = ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            commands.append(current)
            current = ""
    assert not current, f"unterminated command: {current!r}"
    return commands


def clean_env() -> dict[str, str]:
    """The caller's environment without this service's settings or sp_api's defaults, as a fresh shell has it."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SOLICITATIONS_", "SP_API_"))}


@dataclass
class Demo:
    base_url: str
    workdir: Path
    stdout: Path

    def localise(self, pasted: str) -> str:
        assert PASTED_BASE in pasted, f"the example does not use {PASTED_BASE}: {pasted!r}"
        return pasted.replace(PASTED_BASE, self.base_url)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    workdir = tmp_path / "work"
    workdir.mkdir()
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "solicitations", "serve", "--demo", "--port", str(port)],
            cwd=workdir,
            env=clean_env(),
            stdout=out,
            stderr=err,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, f"serve --demo exited: {stderr.read_text(errors='replace')}"
            assert time.monotonic() < deadline, "serve --demo did not become healthy"
            try:
                if httpx.get(base_url + "/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield Demo(base_url, workdir, stdout)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_curl(demo: Demo, pasted: str) -> tuple[int, str]:
    """Run one pasted curl command with bash; returns the HTTP status and the body curl printed."""
    done = subprocess.run(
        ["bash", "-c", CURL_WITH_STATUS + demo.localise(pasted)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=demo.workdir,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_the_curl_examples(demo: Demo) -> None:
    # "`make serve` prints the demo orders and an access token"
    banner = demo.stdout.read_text(encoding="utf-8")
    assert f"access token: {DEMO_TOKEN}" in banner
    for order in ("111-1111111-1111111", "111-1111111-0000003", "302-1111111-0000007"):
        assert order in banner
    assert (demo.workdir / "solicitations.db").exists(), "the default database URL is relative to the cwd"

    [block] = fenced_blocks("sh")
    offer, send, too_late = shell_commands(block)

    # the eligible order offers one action
    status, body = run_curl(demo, offer)
    assert status == 200, body
    offered = json.loads(body)
    assert [a["name"] for a in offered["_links"]["actions"]] == [ACTION]
    assert [a["name"] for a in offered["_embedded"]["actions"]] == [ACTION]

    # send it: 201 {} the first time, 403 "not available" ever after
    assert run_curl(demo, send) == (201, "{}")
    status, body = run_curl(demo, send)
    assert status == 403
    assert json.loads(body) == {"errors": [{"code": "Unauthorized", "message": NOT_AVAILABLE, "details": ""}]}

    # an order delivered 40 days ago: no actions, and a POST says why
    status, body = run_curl(demo, too_late)
    assert status == 403
    assert json.loads(body) == {"errors": [{"code": "Unauthorized", "message": OUTSIDE_WINDOW, "details": ""}]}
    [post_url] = re.findall(r"'(http://[^']+)'", too_late)
    get_url = demo.localise(post_url.replace(f"/solicitations/{ACTION}", ""))
    no_actions = httpx.get(get_url, headers={"x-amz-access-token": DEMO_TOKEN})
    assert no_actions.status_code == 200
    assert no_actions.json()["_links"]["actions"] == []


def test_the_python_amazon_sp_api_example(demo: Demo, tmp_path: Path) -> None:
    [block] = fenced_blocks("python")
    expected = re.findall(r"^\s*print\(.*\)\s+#\s*(.+?)\s*$", block, re.MULTILINE)
    assert expected == [
        f"[{ACTION!r}]",
        f"403 {NOT_AVAILABLE}",
    ], "the README's printed lines changed: update this test"

    script = tmp_path / "example.py"
    script.write_text(demo.localise(block), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=demo.workdir,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected
