"""The README's "Try it" examples work as pasted, against `solicitations serve --demo` as a user starts it, and
print what the README says they print (its `#>` lines), again after a restart.

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

from helpers import ServerProcess, free_port, fresh_database_url

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
PASTED_BASE = "http://127.0.0.1:8000"
DEMO_TOKEN = "Atza|demo-token-for-local-use-only"
ACTION = "productReviewAndSellerFeedback"
NOT_AVAILABLE = "The requested solicitation is not available for this amazonOrderId."
OUTSIDE_WINDOW = (
    "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
)
OUTPUT = "#> "  # a README line showing what the command above prints
ELIDED = "…"  # ends an output line the README shortens


def try_it_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Try it\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Try it' section"
    return match.group(1)


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", try_it_section(), re.MULTILINE | re.DOTALL)


@dataclass
class Example:
    command: str  # as pasted, continuation lines included
    prints: list[str]  # the `#>` lines after it

    def check(self, printed: str) -> None:
        """What the command printed is what the README shows, line by line (an elided line as a prefix)."""
        lines = printed.splitlines()
        assert len(lines) == len(self.prints), (self.command, printed)
        for line, shown in zip(lines, self.prints, strict=True):
            if shown.endswith(ELIDED):
                assert line.startswith(shown.removesuffix(ELIDED)), (self.command, line)
            else:
                assert line == shown, self.command


def shell_examples(block: str) -> list[Example]:
    """The commands of a shell block with the output shown under each: other comments and blank lines dropped,
    continuation lines kept together."""
    examples: list[Example] = []
    current = ""
    for line in block.splitlines():
        if not current and line.startswith(OUTPUT):
            assert examples, f"output before any command: {line!r}"
            examples[-1].prints.append(line.removeprefix(OUTPUT))
            continue
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            examples.append(Example(current, []))
            current = ""
    assert not current, f"unterminated command: {current!r}"
    return examples


def try_it_examples() -> list[Example]:
    [block] = fenced_blocks("sh")
    examples = shell_examples(block)
    assert [e.prints[-1] for e in examples] == ["200", "201", "403", "403"], "the walkthrough changed: update this test"
    return examples


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


def run_curl(demo: Demo, example: Example) -> tuple[int, str]:
    """Run one pasted curl command with bash and check it prints what the README shows; the HTTP status and
    the body it printed."""
    done = subprocess.run(
        ["bash", "-c", demo.localise(example.command)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=demo.workdir,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    example.check(done.stdout)
    body, _, status = done.stdout.rstrip("\n").rpartition("\n")
    return int(status), body


def test_the_curl_examples(demo: Demo) -> None:
    # "`make serve` prints the demo orders and an access token"
    banner = demo.stdout.read_text(encoding="utf-8")
    assert f"access token: {DEMO_TOKEN}" in banner
    for order in ("111-1111111-1111111", "111-1111111-0000003", "302-1111111-0000007"):
        assert order in banner
    assert (demo.workdir / "solicitations.db").exists(), "the default database URL is relative to the cwd"

    offer, send, send_again, too_late = try_it_examples()
    assert send.command == send_again.command

    # the eligible order offers one action
    status, body = run_curl(demo, offer)
    assert status == 200, body
    offered = json.loads(body)
    assert [a["name"] for a in offered["_links"]["actions"]] == [ACTION]
    assert [a["name"] for a in offered["_embedded"]["actions"]] == [ACTION]

    # send it: 201 {} the first time, 403 "not available" ever after
    assert run_curl(demo, send) == (201, "{}")
    status, body = run_curl(demo, send_again)
    assert status == 403
    assert json.loads(body) == {"errors": [{"code": "Unauthorized", "message": NOT_AVAILABLE, "details": ""}]}

    # an order delivered 40 days ago: no actions, and a POST says why
    status, body = run_curl(demo, too_late)
    assert status == 403
    assert json.loads(body) == {"errors": [{"code": "Unauthorized", "message": OUTSIDE_WINDOW, "details": ""}]}
    [post_url] = re.findall(r"'(http://[^']+)'", too_late.command)
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


def request_of(example: Example) -> tuple[str, str, dict[str, str]]:
    """The method, URL and headers of a pasted `curl -s -w … [-X POST] -H '…' 'URL'` command."""
    method = "POST" if " -X POST " in example.command else "GET"
    [url] = re.findall(r"'(http://[^']+)'", example.command)
    headers = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']+)'", example.command))
    return method, url, headers


def test_the_walkthrough_answers_the_same_after_a_restart(tmp_path: Path) -> None:
    """`serve --demo` twice on one database: the second start re-creates the demo, so the README holds again."""
    database_url = fresh_database_url(tmp_path)
    for start in ("first", "second"):
        server = ServerProcess(database_url, args=["--demo"], log_path=tmp_path / f"{start}.log").start()
        try:
            for example in try_it_examples():
                method, url, headers = request_of(example)
                response = httpx.request(method, url.replace(PASTED_BASE, server.base_url), headers=headers)
                example.check(f"{response.text}\n{response.status_code}\n")
        finally:
            server.stop()


def test_every_command_the_readme_lists_exists() -> None:
    """The "command line" block of "Operating it" names real commands (`--help` answers for each)."""
    from typer.testing import CliRunner

    from solicitations.entrypoints.cli import app

    text = README.read_text(encoding="utf-8")
    match = re.search(r"^The command line\b.*?^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no command line block"
    commands: list[list[str]] = []
    for line in match.group(1).splitlines():
        words = line.split()
        assert words[0] == "solicitations", line
        words = words[1:]
        if words[0] == "--database-url":
            words = words[2:]
        path = []
        for word in words:
            if not re.fullmatch(r"[a-z][a-z|-]*", word):
                break
            path.append(word)
        *groups, last = path
        commands += [[*groups, name] for name in last.split("|")]
    assert len(commands) >= 17, commands
    for command in commands:
        shown = CliRunner().invoke(app, [*command, "--help"])
        assert shown.exit_code == 0, (command, shown.output)
