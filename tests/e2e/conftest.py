"""End-to-end fixtures shared by modules."""

from collections.abc import Iterator

import pytest

from helpers import ServerProcess, fresh_database_url


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `solicitations serve` process for a whole module (a process start costs more than a test); its
    tests keep apart by their own order ids and sellers."""
    directory = tmp_path_factory.mktemp("server")
    process = ServerProcess(fresh_database_url(directory), log_path=directory / "server.log").start()
    yield process
    process.stop()
