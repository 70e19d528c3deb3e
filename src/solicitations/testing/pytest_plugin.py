"""The pytest plugin (entry point `pytest11`): the `solicitations_emulator` fixture.

A fresh emulator per test: a start costs about 1.3 s, and a fresh process and store mean no test sees
another's orders, emails, buckets or moved clock, which a shared server would need a reset for.
"""

from collections.abc import Iterator

import pytest

from solicitations.testing import Emulator


@pytest.fixture
def solicitations_emulator() -> Iterator[Emulator]:
    """A running emulator of its own for this test; see `solicitations.testing.Emulator`."""
    with Emulator() as emulator:
        yield emulator
