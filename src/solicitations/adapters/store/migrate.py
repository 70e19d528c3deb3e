"""Alembic, driven from code: the migrations ship inside the package, so no alembic.ini is needed."""

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


@functools.cache
def head_revision() -> str | None:
    """The newest revision the code knows: read from the scripts once, as readiness probes ask often."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(connection: Connection) -> bool:
    """True when the database stands at the newest revision the code knows."""
    return MigrationContext.configure(connection).get_current_revision() == head_revision()
