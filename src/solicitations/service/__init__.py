"""Use cases: each runs one request's worth of rules inside one store transaction."""
