"""Alembic environment: runs on the connection the store hands over (see store/migrate.py)."""

from alembic import context

from solicitations.adapters.store.engines import make_engine
from solicitations.adapters.store.schema import metadata


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)  # type: ignore[arg-type]
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the `alembic` command line, e.g. for `alembic revision --autogenerate`
    from solicitations.config import Settings

    with make_engine(Settings().database_url).begin() as fresh:
        _run(fresh)
