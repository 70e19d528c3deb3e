"""Amazon's sandbox, read from an API model: each operation's static cases (`x-amzn-api-sandbox`) and the
rule that picks one for a request. Pure: the model and the request's arguments are passed in.

A case names some of the operation's parameters with the value they must have; parameters it does not name
may hold anything (the Solicitations POST case names no marketplace, and Amazon's sandbox accepts any).
When several cases match, the one naming the most parameters wins, so a catch-all case (an empty list of
parameters) answers only what no narrower case claims. A request body is the argument `body`, whatever
the model calls the parameter (the Orders model names it `payload`, its cases `body`).

Callers are not Amazon's to look up here: any well-formed token is let in, and all of one token's requests
share one bucket (Amazon's sandbox plan). Anything else is our choice too; docs/behaviour.md says which.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from solicitations.domain.errors import Failure
from solicitations.domain.usage_plans import UsagePlan

BODY = "body"
METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # path, query, header or body
    type: str | None = None  # the model's type; arrays of query values arrive comma-separated or repeated
    item_type: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    status: int
    parameters: Mapping[str, Any]  # parameter name -> the value it must have
    response: Any  # the body, as the model writes it (a 204 sends none)


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the model's template, e.g. /orders/v0/orders/{orderId}
    parameters: tuple[Parameter, ...]
    cases: tuple[Case, ...]  # most specific first
    media_type: str  # of successful answers (the model's `produces`)

    def match(self, arguments: Mapping[str, Any]) -> Case | None:
        """The case this request's arguments select, or None ("Could not match input arguments")."""
        for case in self.cases:
            if all(name in arguments and arguments[name] == value for name, value in case.parameters.items()):
                return case
        return None


def operations(model: Mapping[str, Any]) -> list[Operation]:
    """Every operation of a Swagger 2.0 model that has sandbox cases."""
    default_media = (model.get("produces") or ["application/json"])[0]
    found = []
    for path, item in model["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            cases = [
                Case(int(status), _values(static["request"]["parameters"]), static.get("response"))
                for status, answer in spec.get("responses", {}).items()
                for static in answer.get("x-amzn-api-sandbox", {}).get("static", [])
            ]
            if not cases:
                continue
            cases.sort(key=lambda case: len(case.parameters), reverse=True)  # stable: the model's order next
            found.append(
                Operation(
                    operation_id=spec["operationId"],
                    method=method.upper(),
                    path=path,
                    parameters=tuple(_parameter(model, p) for p in [*shared, *spec.get("parameters", [])]),
                    cases=tuple(cases),
                    media_type=(spec.get("produces") or [default_media])[0],
                )
            )
    return found


def _values(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {name: spec.get("value") for name, spec in parameters.items()}


def _parameter(model: Mapping[str, Any], spec: Mapping[str, Any]) -> Parameter:
    if "$ref" in spec:  # #/parameters/Name
        spec = model["parameters"][spec["$ref"].rsplit("/", 1)[1]]
    items = spec.get("items") or {}
    return Parameter(spec["name"], spec["in"], spec.get("type"), items.get("type"))


def argument(parameter: Parameter, raw: Sequence[str]) -> Any:
    """A query or header parameter's value as the model types it, from every value the request carries.

    Arrays gather repeated and comma-separated values; a value that does not parse stays a string (it then
    matches no case, as on Amazon's sandbox).
    """
    if parameter.type == "array":
        return [_scalar(parameter.item_type, part) for value in raw for part in value.split(",")]
    return _scalar(parameter.type, raw[0])


def _scalar(type_: str | None, value: str) -> Any:
    try:
        if type_ == "integer":
            return int(value)
        if type_ == "number":
            return float(value)
    except ValueError:
        return value
    if type_ == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


# The sandbox's one plan, shared by every operation (docs/behaviour.md, Usage plan).
SHARED_PLAN = UsagePlan(rate=5.0, burst=15)
COULD_NOT_MATCH = Failure(400, "InvalidInput", "Could not match input arguments")
# An LWA access token or a restricted data token, as Amazon mints them: Amazon's own are not ours to check.
_TOKEN = re.compile(r"(?:Atza|Atz\.sprdt)\|[!-~]+")


def well_formed(token: str) -> bool:
    return _TOKEN.fullmatch(token) is not None
