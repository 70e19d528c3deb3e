"""The README's settings table and `config.py` say the same: every setting once, with its real default."""

import re
from pathlib import Path

import pytest

from solicitations.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(SOLICITATIONS_[A-Z0-9_]+)` \| ([^|]+) \|")


def documented() -> list[tuple[str, str]]:
    """(variable, default cell) of each row of the README's settings table, in order."""
    return [(m[1], m[2].strip()) for line in README.read_text().splitlines() if (m := ROW.match(line))]


def as_documented(value: object) -> str:
    """How the README writes a default: unset for None, lower-case booleans, numbers without a needless .0."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def test_every_setting_is_documented_exactly_once() -> None:
    names = [name for name, _ in documented()]
    expected = sorted(f"SOLICITATIONS_{field.upper()}" for field in Settings.model_fields)
    assert sorted(names) == expected


@pytest.mark.parametrize(("variable", "default"), documented())
def test_each_documented_default_is_the_real_one(variable: str, default: str) -> None:
    field = Settings.model_fields[variable.removeprefix("SOLICITATIONS_").lower()]
    real = field.default
    assert default in {as_documented(real), f"`{real}`"}, f"{variable}: README says {default}, config.py {real!r}"
