"""The one rule for every identifier a client or operator sends that reaches the store.

Printable ASCII and bounded: PostgreSQL text cannot hold a NUL, control and format characters only ever
mean an attack or a bug, Amazon's ids are all ASCII (look-alike letters of other scripts would only mislead
an operator), a rule this small can be stated exactly in the OpenAPI document, and a bounded length keeps
indexes and logs sane. Entrypoints apply it where they read
an id and refuse with a 400 in their surface's shape.
"""

MAX_LENGTH = 64  # seller, application, client and order ids
MAX_TOKEN_LENGTH = 512  # refresh tokens and authorization codes (ours are under 100 characters)
# What `identifier` accepts, length aside, for documents that must say it: printable ASCII, not all spaces.
PATTERN = r"^ *[!-~][ -~]*$"


class InvalidIdentifier(ValueError):
    """The message names the field and says why, for the client to read."""


def identifier(value: object, field: str, max_length: int = MAX_LENGTH) -> str:
    """`value` if it is a non-blank string of at most `max_length` printable ASCII characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdentifier(f"{field} must be a non-empty string")
    if len(value) > max_length:
        raise InvalidIdentifier(f"{field} is longer than {max_length} characters")
    if not (value.isascii() and value.isprintable()):
        raise InvalidIdentifier(f"{field} must hold printable ASCII characters only")
    return value
