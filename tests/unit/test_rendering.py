"""Unit tests of HAL and error rendering (entrypoints/http/rendering.py) and of the error catalogue (errors.py)."""

import json
import uuid
from typing import Any
from urllib.parse import unquote

import pytest

from solicitations.domain import errors
from solicitations.domain.actions import ACTIONS, PRODUCT_REVIEW_AND_SELLER_FEEDBACK, Action
from solicitations.domain.errors import ApiError, Failure
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.rendering import actions_body, error_response, json_response, schema_body

ORDER_ID = "111-1111111-1111111"
US = "ATVPDKIKX0DER"
ACTION = PRODUCT_REVIEW_AND_SELLER_FEEDBACK

# docs/behaviour.md, "The GET body": the eligible order 111-1111111-1111111 in ATVPDKIKX0DER, key for key.
EXPECTED_ELIGIBLE_BODY: dict[str, Any] = {
    "_links": {
        "actions": [
            {
                "href": "/solicitations/v1/orders/111-1111111-1111111/solicitations/productReviewAndSellerFeedback"
                "?marketplaceIds=ATVPDKIKX0DER",
                "name": "productReviewAndSellerFeedback",
            }
        ],
        "self": {"href": "/solicitations/v1/orders/111-1111111-1111111?marketplaceIds=ATVPDKIKX0DER"},
    },
    "_embedded": {
        "actions": [
            {
                "_links": {
                    "schema": {
                        "href": "/solicitations/v1/orders/111-1111111-1111111/solicitations/"
                        "productReviewAndSellerFeedback/schema",
                        "name": "productReviewAndSellerFeedback",
                    },
                    "self": {
                        "href": "/solicitations/v1/orders/111-1111111-1111111/solicitations/"
                        "productReviewAndSellerFeedback?marketplaceIds=ATVPDKIKX0DER",
                        "name": "productReviewAndSellerFeedback",
                    },
                },
                "_embedded": {
                    "schema": {
                        "_links": {
                            "self": {
                                "href": "/solicitations/v1/orders/111-1111111-1111111/solicitations/"
                                "productReviewAndSellerFeedback/schema",
                                "name": "productReviewAndSellerFeedback",
                            }
                        },
                        "type": "object",
                        "name": "productReviewAndSellerFeedback",
                        "title": "Request seller feedback and product review",
                        "description": "Request seller feedback and product review",
                        "properties": {},
                        "required": [],
                        "$schema": "http://json-schema.org/draft-04/schema#",
                        "x-ui-hidden": True,
                    }
                },
                "name": "productReviewAndSellerFeedback",
                "title": "Request seller feedback and product review",
            }
        ]
    },
}

EXPECTED_EMPTY_BODY = (
    b'{"_links":{"actions":[],"self":{"href":"/solicitations/v1/orders/111-1111111-1111111?marketplaceIds=ATVPDKIKX0DER"}},'
    b'"_embedded":{"actions":[]}}'
)


def key_order(value: Any, path: str = "$") -> list[tuple[str, list[str]]]:
    """Every object's keys in order, by path: two documents with equal results have the same key order."""
    found: list[tuple[str, list[str]]] = []
    if isinstance(value, dict):
        found.append((path, list(value)))
        for key, child in value.items():
            found.extend(key_order(child, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(key_order(child, f"{path}[{index}]"))
    return found


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def all_hrefs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [h for k, v in value.items() for h in ([v] if k == "href" else all_hrefs(v))]
    if isinstance(value, list):
        return [h for v in value for h in all_hrefs(v)]
    return []


# --- the GET body ----------------------------------------------------------------------------------------------------


def test_eligible_body_equals_the_documented_body() -> None:
    body = actions_body(ORDER_ID, US, (ACTION,))
    assert isinstance(body, bytes)
    assert json.loads(body) == EXPECTED_ELIGIBLE_BODY


def test_eligible_body_has_the_documented_key_order() -> None:
    parsed = json.loads(actions_body(ORDER_ID, US, (ACTION,)))
    assert key_order(parsed) == key_order(EXPECTED_ELIGIBLE_BODY)
    # Spot checks of the order that matters most to readers of the raw bytes.
    assert list(parsed) == ["_links", "_embedded"]
    assert list(parsed["_links"]) == ["actions", "self"]
    assert list(parsed["_embedded"]["actions"][0]) == ["_links", "_embedded", "name", "title"]
    assert list(parsed["_embedded"]["actions"][0]["_links"]) == ["schema", "self"]


def test_eligible_body_is_compact_json_byte_for_byte() -> None:
    assert actions_body(ORDER_ID, US, (ACTION,)) == compact(EXPECTED_ELIGIBLE_BODY)


def test_body_without_actions_is_exactly_the_empty_hal_document() -> None:
    body = actions_body(ORDER_ID, US, ())
    assert body == EXPECTED_EMPTY_BODY
    parsed = json.loads(body)
    assert parsed == {
        "_links": {
            "actions": [],
            "self": {"href": "/solicitations/v1/orders/111-1111111-1111111?marketplaceIds=ATVPDKIKX0DER"},
        },
        "_embedded": {"actions": []},
    }
    assert key_order(parsed) == [
        ("$", ["_links", "_embedded"]),
        ("$._links", ["actions", "self"]),
        ("$._links.self", ["href"]),
        ("$._embedded", ["actions"]),
    ]


@pytest.mark.parametrize("marketplace_id", ["A1PA6795UKMFR9", "A1VC38T7YXB528", "A2Q3Y263D00KWC"])
def test_marketplace_is_carried_in_every_query(marketplace_id: str) -> None:
    parsed = json.loads(actions_body(ORDER_ID, marketplace_id, (ACTION,)))
    assert parsed["_links"]["self"]["href"] == f"/solicitations/v1/orders/{ORDER_ID}?marketplaceIds={marketplace_id}"
    assert parsed["_links"]["actions"][0]["href"].endswith(f"?marketplaceIds={marketplace_id}")
    assert parsed["_embedded"]["actions"][0]["_links"]["self"]["href"].endswith(f"?marketplaceIds={marketplace_id}")
    # The schema link carries no marketplace.
    assert "?" not in parsed["_embedded"]["actions"][0]["_links"]["schema"]["href"]


def test_action_link_and_embedded_self_link_agree() -> None:
    parsed = json.loads(actions_body(ORDER_ID, US, (ACTION,)))
    embedded = parsed["_embedded"]["actions"][0]
    assert parsed["_links"]["actions"][0]["href"] == embedded["_links"]["self"]["href"]
    assert embedded["_links"]["schema"] == embedded["_embedded"]["schema"]["_links"]["self"]


def test_several_actions_are_listed_in_the_given_order() -> None:
    other = Action(name="otherAction", title="Other", description="Another action")
    parsed = json.loads(actions_body(ORDER_ID, US, (ACTION, other)))
    assert [link["name"] for link in parsed["_links"]["actions"]] == ["productReviewAndSellerFeedback", "otherAction"]
    assert [a["name"] for a in parsed["_embedded"]["actions"]] == ["productReviewAndSellerFeedback", "otherAction"]
    assert parsed["_embedded"]["actions"][1]["_links"]["schema"]["href"] == (
        f"/solicitations/v1/orders/{ORDER_ID}/solicitations/otherAction/schema"
    )


@pytest.mark.parametrize(
    ("order_id", "encoded"),
    [
        ("123 456", "123%20456"),
        ("Bestellung-ä", "Bestellung-%C3%A4"),
        ("订单", "%E8%AE%A2%E5%8D%95"),
        ("a?b", "a%3Fb"),
        ("a#b", "a%23b"),
        ("a%b", "a%25b"),
        ("a&b=c", "a%26b%3Dc"),
        ("a+b", "a%2Bb"),
        ("a;b,c", "a%3Bb%2Cc"),
        ('a"b<c>', "a%22b%3Cc%3E"),
        ("a\\b", "a%5Cb"),
        ("-_.~", "-_.~"),
        ("😀", "%F0%9F%98%80"),
    ],
)
def test_order_ids_are_percent_encoded_in_every_href(order_id: str, encoded: str) -> None:
    parsed = json.loads(actions_body(order_id, US, (ACTION,)))
    hrefs = all_hrefs(parsed)
    assert len(hrefs) == 5
    prefix = f"/solicitations/v1/orders/{encoded}"
    for href in hrefs:
        assert href.startswith(prefix + "?") or href.startswith(prefix + "/"), href
        assert " " not in href
        assert href.isascii()
        segment = href[len("/solicitations/v1/orders/") :].split("/")[0].split("?")[0]
        assert unquote(segment) == order_id
    assert parsed["_links"]["self"]["href"] == f"{prefix}?marketplaceIds={US}"
    schema = json.loads(schema_body(order_id, ACTION))
    assert schema["_links"]["self"]["href"] == f"{prefix}/solicitations/productReviewAndSellerFeedback/schema"


def test_percent_encoding_also_applies_to_an_empty_action_list() -> None:
    parsed = json.loads(actions_body("a b/c", US, ()))
    assert parsed["_links"]["self"]["href"] == f"/solicitations/v1/orders/a%20b%2Fc?marketplaceIds={US}"


# --- the schema body -------------------------------------------------------------------------------------------------


def test_schema_body_equals_the_embedded_schema() -> None:
    embedded = json.loads(actions_body(ORDER_ID, US, (ACTION,)))["_embedded"]["actions"][0]["_embedded"]["schema"]
    schema = json.loads(schema_body(ORDER_ID, ACTION))
    assert schema == embedded
    assert schema == EXPECTED_ELIGIBLE_BODY["_embedded"]["actions"][0]["_embedded"]["schema"]
    assert list(schema) == list(embedded)
    assert key_order(schema) == key_order(embedded)


def test_schema_body_is_compact_json() -> None:
    expected = EXPECTED_ELIGIBLE_BODY["_embedded"]["actions"][0]["_embedded"]["schema"]
    assert schema_body(ORDER_ID, ACTION) == compact(expected)


def test_the_action_catalogue_holds_the_one_documented_action() -> None:
    assert list(ACTIONS) == ["productReviewAndSellerFeedback"]
    assert ACTIONS["productReviewAndSellerFeedback"] is ACTION
    assert ACTION.title == "Request seller feedback and product review"
    assert ACTION.description == "Request seller feedback and product review"


def test_action_schema_is_a_fresh_object_each_time() -> None:
    first = ACTION.schema()
    first["properties"]["x"] = {"type": "string"}
    first["required"].append("x")
    assert ACTION.schema()["properties"] == {}
    assert ACTION.schema()["required"] == []


# --- error bodies and headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        (errors.INVALID_MARKETPLACE, "BadRequestException"),
        (errors.INVALID_JSON, "BadRequestException"),
        (errors.NOT_AVAILABLE, "AccessDeniedException"),
        (errors.OUTSIDE_WINDOW, "AccessDeniedException"),
        (errors.ACCESS_DENIED, "AccessDeniedException"),
        (errors.TOKEN_MISSING, "AccessDeniedException"),
        (errors.QUOTA_EXCEEDED, "TooManyRequestsException"),
        (errors.INTERNAL_FAILURE, "InternalServerErrorException"),
    ],
)
def test_error_response_carries_body_content_type_request_id_and_error_type(failure: Failure, error_type: str) -> None:
    request_id = "7c7f3d9c-2d2f-4bd4-9e42-0e3f9c6b8a11"
    response = error_response(failure, request_id)
    assert response.status_code == failure.status
    assert json.loads(response.body) == {
        "errors": [{"code": failure.code, "message": failure.message, "details": failure.details}]
    }
    assert list(json.loads(response.body)["errors"][0]) == ["code", "message", "details"]
    assert response.media_type == "application/json"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-RequestId"] == request_id
    assert response.headers["x-amzn-ErrorType"] == error_type


def test_error_body_keeps_the_unicode_apostrophe_as_utf8() -> None:
    response = error_response(errors.OUTSIDE_WINDOW, "rid")
    assert json.loads(response.body)["errors"][0]["message"] == (
        "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date."
    )
    assert "\u2019".encode() in response.body


def test_error_response_merges_extra_headers() -> None:
    response = error_response(errors.INVALID_MARKETPLACE, "rid-1", {"x-amzn-RateLimit-Limit": "1.0"})
    assert response.headers["x-amzn-RateLimit-Limit"] == "1.0"
    assert response.headers["x-amzn-RequestId"] == "rid-1"
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"


def test_error_response_does_not_mutate_the_headers_it_is_given() -> None:
    extra = {"x-amzn-RateLimit-Limit": "1.0"}
    error_response(errors.INVALID_MARKETPLACE, "rid", extra)
    assert extra == {"x-amzn-RateLimit-Limit": "1.0"}


@pytest.mark.parametrize(
    "failure",
    [
        errors.NOT_FOUND,
        errors.METHOD_NOT_ALLOWED,
        errors.TOO_LARGE,
        errors.UNSUPPORTED_MEDIA,
        errors.SERVICE_UNAVAILABLE,
    ],
)
def test_every_error_is_json_in_amazon_shape_with_a_request_id(failure: Failure) -> None:
    response = error_response(failure, "rid-2")
    assert response.status_code == failure.status
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-RequestId"] == "rid-2"
    assert json.loads(response.body) == {"errors": [{"code": failure.code, "message": failure.message, "details": ""}]}


def test_json_response_for_success_uses_hal_and_passes_bytes_through() -> None:
    body = actions_body(ORDER_ID, US, (ACTION,))
    response = json_response(body, "rid-3", 200, rendering.HAL)
    assert response.body == body
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert response.headers["x-amzn-RequestId"] == "rid-3"
    assert "x-amzn-ErrorType" not in response.headers


def test_json_response_serialises_objects_compactly() -> None:
    response = json_response({}, "rid-4", 201, rendering.HAL)
    assert response.body == b"{}"
    assert response.status_code == 201


def test_request_ids_are_fresh_uuids() -> None:
    first, second = rendering.new_request_id(), rendering.new_request_id()
    assert first != second
    assert str(uuid.UUID(first)) == first


# --- the catalogue against docs/behaviour.md's table ---------------------------------------------------------------

CATALOGUE = [
    (errors.INVALID_MARKETPLACE, 400, "InvalidInput", "Missing or invalid request parameters: [marketplaceIds]", ""),
    (errors.INVALID_JSON, 400, "InvalidInput", "The request body is not valid JSON.", ""),
    (
        errors.NOT_AVAILABLE,
        403,
        "Unauthorized",
        "The requested solicitation is not available for this amazonOrderId.",
        "",
    ),
    (
        errors.OUTSIDE_WINDOW,
        403,
        "Unauthorized",
        "You can\u2019t use this feature to request a review outside the 5-30 day range after the order delivery date.",
        "",
    ),
    (errors.ACCESS_DENIED, 403, "Unauthorized", "Access to requested resource is denied.", ""),
    (
        errors.TOKEN_MISSING,
        403,
        "Unauthorized",
        "Access to requested resource is denied.",
        "Access token is missing in the request header.",
    ),
    (errors.NOT_FOUND, 404, "NotFound", "The resource specified does not exist.", ""),
    (
        errors.TOO_LARGE,
        413,
        "RequestEntityTooLarge",
        "The request size exceeded the maximum accepted size.",
        "",
    ),
    (
        errors.UNSUPPORTED_MEDIA,
        415,
        "UnsupportedMediaType",
        "The request payload is in an unsupported format.",
        "",
    ),
    (errors.QUOTA_EXCEEDED, 429, "QuotaExceeded", "You exceeded your quota for the requested resource.", ""),
    (errors.INTERNAL_FAILURE, 500, "InternalFailure", "We encountered an internal error. Please try again.", ""),
    (
        errors.SERVICE_UNAVAILABLE,
        503,
        "ServiceUnavailable",
        "Temporary overloading or maintenance of the server.",
        "",
    ),
]


@pytest.mark.parametrize(("failure", "status", "code", "message", "details"), CATALOGUE)
def test_catalogue_entry_matches_the_behaviour_table(
    failure: Failure, status: int, code: str, message: str, details: str
) -> None:
    assert (failure.status, failure.code, failure.message, failure.details) == (status, code, message, details)


def test_method_not_allowed_is_405_with_its_own_code() -> None:
    assert (errors.METHOD_NOT_ALLOWED.status, errors.METHOD_NOT_ALLOWED.code) == (405, "MethodNotAllowed")
    assert errors.METHOD_NOT_ALLOWED.details == ""


def test_outside_window_message_uses_the_right_single_quotation_mark() -> None:
    assert "can\u2019t" in errors.OUTSIDE_WINDOW.message
    assert "'" not in errors.OUTSIDE_WINDOW.message


def test_with_details_copies_without_changing_the_original() -> None:
    detailed = errors.INVALID_INPUT.with_details("AmazonOrderId is required")
    assert detailed == Failure(400, "InvalidInput", errors.INVALID_INPUT.message, "AmazonOrderId is required")
    assert errors.INVALID_INPUT.details == ""


def test_failures_are_immutable() -> None:
    with pytest.raises(AttributeError):
        errors.NOT_FOUND.message = "changed"  # type: ignore[misc]


def test_api_error_carries_its_failure() -> None:
    error = ApiError(errors.QUOTA_EXCEEDED)
    assert error.failure is errors.QUOTA_EXCEEDED
    assert error.args == (429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
    assert isinstance(error, Exception)


def test_every_public_failure_in_errors_py_is_checked() -> None:
    public = {name for name, value in vars(errors).items() if isinstance(value, Failure)}
    checked = {name for name, value in vars(errors).items() if any(value is row[0] for row in CATALOGUE)}
    # Not in docs/behaviour.md's table: the admin API's (401, 409, the generic 400), /metrics' 401, and 405 (message
    # our choice).
    assert public - checked == {
        "INVALID_INPUT",
        "ADMIN_UNAUTHORIZED",
        "METRICS_UNAUTHORIZED",
        "CONFLICT",
        "METHOD_NOT_ALLOWED",
    }
