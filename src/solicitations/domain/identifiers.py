"""The one rule for every identifier a client or operator sends that reaches the store.

Printable and bounded: PostgreSQL text cannot hold a NUL, control and format characters only ever mean
an attack or a bug, and a bounded length keeps indexes and logs sane. Entrypoints apply it where they read
an id and refuse with a 400 in their surface's shape.
"""

import sys
from functools import cache

MAX_LENGTH = 64  # seller, application, client and order ids
MAX_TOKEN_LENGTH = 512  # refresh tokens and authorization codes (ours are under 100 characters)


class InvalidIdentifier(ValueError):
    """The message names the field and says why, for the client to read."""


def identifier(value: object, field: str, max_length: int = MAX_LENGTH) -> str:
    """`value` if it is a non-blank string of at most `max_length` printable characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdentifier(f"{field} must be a non-empty string")
    if len(value) > max_length:
        raise InvalidIdentifier(f"{field} is longer than {max_length} characters")
    if not value.isprintable():
        raise InvalidIdentifier(f"{field} must hold printable characters only")
    return value


@cache
def pattern() -> str:
    """A regular expression matching exactly the strings `identifier` accepts, length aside, for documents
    that must say what the rule accepts; derived from `str.isprintable` so the two cannot drift apart.

    Written for Python's `re` and JSON Schema alike: BMP characters as `\\uXXXX`, others literally (a
    surrogate cannot reach the rule through UTF-8, so the class leaves them out).
    """
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF or chr(code).isprintable():
            continue
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    unprintable = "".join(char(low) if low == high else f"{char(low)}-{char(high)}" for low, high in ranges)
    return f"^ *[^{unprintable} ][^{unprintable}]*$"  # a printable character other than a space, anywhere
