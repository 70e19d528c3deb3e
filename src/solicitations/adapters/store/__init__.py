"""The SQL store (SQLite by default) behind the service's Store protocol."""
