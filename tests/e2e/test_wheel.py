"""The built wheel, installed into a fresh virtualenv, gives a test suite a working `solicitations_emulator`.

This is what users get from `pip install solicitations`: the pytest11 entry point, the packaged migrations and
templates, and a server that starts from the installed package alone. ~25 s: a build and an install.
"""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]

ROOT = Path(__file__).resolve().parents[2]

USERS_TEST = """
import json
import urllib.parse
import urllib.request
from datetime import timedelta


def post(url, data=None, headers=None):
    body = None if data is None else urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    with urllib.request.urlopen(request) as response:
        return response.status, json.loads(response.read())


def test_an_order_entering_its_window_is_solicited(solicitations_emulator):
    emu = solicitations_emulator
    delivered = (emu.now() - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")  # a day too early
    emu.add_order({
        "AmazonOrderId": "111-0000000-0000001", "MarketplaceId": emu.marketplace_id, "OrderStatus": "Shipped",
        "PurchaseDate": delivered, "EarliestDeliveryDate": delivered, "LatestDeliveryDate": delivered,
        "BuyerInfo": {"BuyerEmail": "buyer@example.com"},
    })
    emu.advance(days=1)
    _, tokens = post(emu.token_url, {
        "grant_type": "refresh_token", "refresh_token": emu.credentials["refresh_token"],
        "client_id": emu.credentials["lwa_app_id"], "client_secret": emu.credentials["lwa_client_secret"],
    })
    solicit = "/solicitations/v1/orders/111-0000000-0000001/solicitations/productReviewAndSellerFeedback"
    answer = post(emu.url + solicit + "?marketplaceIds=" + emu.marketplace_id,
                  headers={"x-amz-access-token": tokens["access_token"]})
    assert answer == (201, {})
    assert [m["To"] for m in emu.mailbox()] == ["buyer@example.com"]
"""


def test_the_installed_wheel_provides_the_fixture(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building in the repository would leave build/ behind
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True)
    (wheel,) = (tmp_path / "dist").glob("solicitations-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-compile", str(wheel), "pytest"], check=True)

    project = tmp_path / "project"
    project.mkdir()
    (project / "test_users_suite.py").write_text(textwrap.dedent(USERS_TEST))
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_users_suite.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert "1 passed" in run.stdout, run.stdout + run.stderr
