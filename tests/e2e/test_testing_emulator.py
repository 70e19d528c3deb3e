"""`solicitations.testing.Emulator` itself: isolation, defaults, the moved clock, the mailbox wait."""

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from helpers import order_doc
from solicitations.entrypoints.cli import app
from solicitations.testing import Emulator, EmulatorError

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]  # the emulator always runs its own SQLite store


def test_an_emulator_keeps_to_itself_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLICITATIONS_DATABASE_URL", "postgresql+psycopg://nobody@invalid/none")  # ignored
    with Emulator(seller_id="AMYSELLER") as emu:
        folder = emu.maildir.parent
        assert folder.is_dir()
        stored = emu.add_order(
            {k: v for k, v in order_doc("111-0000000-0000009", now=emu.now()).items() if k != "SellerId"}
        )
        assert stored["SellerId"] == "AMYSELLER"
        before = emu.now()
        after = emu.advance(days=1, hours=2, minutes=3, seconds=4)
        assert after - before >= timedelta(days=1, hours=2, minutes=3, seconds=4)
        assert emu.now() >= after
        with pytest.raises(EmulatorError, match="400"):
            emu._call("PUT", "/admin/v1/clock", {"now": before.isoformat()})
        assert emu.mailbox() == []
    assert not folder.exists()


def test_emulator_mode_is_one_process(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}", "serve", "--emulator", "--workers", "2"]
    )
    assert result.exit_code == 2
    assert "one process" in result.output
