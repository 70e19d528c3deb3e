"""Every SQLAlchemy engine the project makes, so each one hides statement parameters.

A failed statement's message carries its parameters (`[parameters: …]`), and messages reach logs and
tracebacks: buyer addresses, token and secret hashes with them. `hide_parameters=True` keeps the SQL and drops
the values.
"""

from typing import Any

from sqlalchemy import Engine, create_engine


def make_engine(url: str, **options: Any) -> Engine:
    return create_engine(url, hide_parameters=True, **options)
