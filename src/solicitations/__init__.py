"""A self-hostable, spec-exact Selling Partner API Solicitations API v1."""

__version__ = "0.1.0"
