"""Amazon's own response headers: named as Amazon spells them on the wire (`x-amzn-RequestId`, not
`x-amzn-requestid`), and the gateway's `x-amzn-ErrorType` values.

HTTP names are case-insensitive, but clients that read headers from a plain dict (python-amazon-sp-api's
`ApiResponse.headers`, hand-written code) find only Amazon's spelling. ASGI apps hand the server raw names;
h11 writes them as given, while uvicorn's httptools writer lower-cases each one with `name.lower()` first.
`CasedName.lower()` keeps the case, so both servers write Amazon's spelling, at no cost per request.
"""


class CasedName(bytes):
    """A header name that is written in its own case yet, like any HTTP name, compares and hashes case-blind.

    So `.lower()` (the server's) keeps the spelling, and lookups by the lower-case name (Starlette's
    `Response.headers`, the server's own checks for `content-length` and the like) still find it.
    """

    def lower(self) -> bytes:
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, bytes) and bytes.lower(self) == bytes.lower(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(bytes.lower(self))


REQUEST_ID = CasedName(b"x-amzn-RequestId")
RATE_LIMIT = CasedName(b"x-amzn-RateLimit-Limit")
ERROR_TYPE = CasedName(b"x-amzn-ErrorType")
_AMAZON_NAMES: dict[bytes, bytes] = {bytes.lower(name): name for name in (REQUEST_ID, RATE_LIMIT, ERROR_TYPE)}


def raw_name(name: str) -> bytes:
    """The name to send: Amazon's spelling for Amazon's headers, lower case (as ASGI asks) for the rest."""
    lowered = name.lower().encode("latin-1")
    return _AMAZON_NAMES.get(lowered, lowered)


# Observed x-amzn-ErrorType values of the SP-API gateway, by status.
_ERROR_TYPES = {
    400: "BadRequestException",
    403: "AccessDeniedException",
    429: "TooManyRequestsException",
    500: "InternalServerErrorException",
}


def error_type_header(status: int) -> dict[str, str]:
    """`x-amzn-ErrorType` as the gateway adds it to an error of this status; none where nobody saw one."""
    error_type = _ERROR_TYPES.get(status)
    return {} if error_type is None else {"x-amzn-ErrorType": error_type}
