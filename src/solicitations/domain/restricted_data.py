"""Restricted data tokens (Tokens API 2021-03-01): which restricted resources a token may name, and whether a
token grants a request.

An RDT stands in for the access token on the operations it names, for an hour; buyer data (the buyer's email
here) is answered only through one. A path may name one order or `{orderId}`, any order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from solicitations.domain import errors
from solicitations.domain.callers import Caller

TOKEN_PREFIX = "Atz.sprdt"
LIFETIME = timedelta(hours=1)
MAX_RESOURCES = 50  # our bound: the model names none
DATA_ELEMENTS = frozenset({"buyerInfo", "shippingAddress", "buyerTaxInformation"})
BUYER_INFO = "buyerInfo"
ORDER_ID = "{orderId}"

# The restricted operations served here; ORDER_ID stands for any one order id.
_RESTRICTED_PATHS = (
    "/orders/v0/orders",
    "/orders/v0/orders/" + ORDER_ID,
    "/orders/v0/orders/" + ORDER_ID + "/buyerInfo",
)

# Observed answers of createRestrictedDataToken (the typo is Amazon's: selling-partner-api-docs#2288; models#1316).
EMPTY_RESOURCES = errors.Failure(400, "InvalidInput", "Empty target resource arguement found")
NO_ACCESS = errors.Failure(400, "InvalidInput", "Application do not have access to some or all requested resource")
INVALID = errors.Failure(400, "InvalidInput", "Invalid Input")


@dataclass(frozen=True, slots=True)
class RestrictedResource:
    method: str
    path: str
    data_elements: frozenset[str]

    def to_document(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "dataElements": sorted(self.data_elements)}


@dataclass(frozen=True, slots=True)
class RestrictedCaller(Caller):
    """A caller that came with a restricted data token: the data elements it grants on this request."""

    data_elements: frozenset[str] = frozenset()


def _matches(pattern: str, path: str) -> bool:
    """Whether `path` is `pattern` with each ORDER_ID in it standing for one non-empty path segment."""
    mine, theirs = pattern.split("/"), path.split("/")
    return len(mine) == len(theirs) and all(
        m == t or (m == ORDER_ID and t != "") for m, t in zip(mine, theirs, strict=True)
    )


def restricted_resources(body: object) -> tuple[RestrictedResource, ...]:
    """The resources a createRestrictedDataToken body asks for, or the 400 Amazon answers. Other keys of the
    body (`targetApplication`, and what some clients add) are ignored."""
    wanted = body.get("restrictedResources") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not wanted:
        raise errors.ApiError(EMPTY_RESOURCES)
    if len(wanted) > MAX_RESOURCES:
        raise errors.ApiError(INVALID)
    return tuple(_resource(item) for item in wanted)


def _resource(item: object) -> RestrictedResource:
    if not isinstance(item, dict):
        raise errors.ApiError(INVALID)
    method, path, elements = item.get("method"), item.get("path"), item.get("dataElements") or []
    if not isinstance(method, str) or not isinstance(path, str) or not isinstance(elements, list):
        raise errors.ApiError(INVALID)
    if method != "GET" or not any(_matches(pattern, path) for pattern in _RESTRICTED_PATHS):
        raise errors.ApiError(NO_ACCESS)
    if not all(isinstance(e, str) and e in DATA_ELEMENTS for e in elements):
        raise errors.ApiError(INVALID)
    return RestrictedResource(method, path, frozenset(elements))


def granted(resources: Sequence[RestrictedResource], path: str) -> frozenset[str] | None:
    """The data elements the token grants on a request of `path`; None when it names no such operation. Every
    resource is a GET (nothing else is restricted here) and so is every Orders route."""
    matches = [r for r in resources if _matches(r.path, path)]
    if not matches:
        return None
    return frozenset().union(*(r.data_elements for r in matches))
