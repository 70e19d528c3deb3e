"""The OpenAPI 3 document of the whole HTTP surface, written to match what the service answers.

Shapes follow the official Swagger model (shared/reference/solicitations.json); statuses and media
types are the ones this service really sends, so a property-based tester can hold it to them.
"""

from typing import Any

from solicitations.domain.usage_plans import CREATE_REVIEW_SOLICITATION, GET_ACTIONS

_REF = "#/components/schemas/"


def _headers(rate_limit: bool) -> dict[str, Any]:
    headers: dict[str, Any] = {
        "x-amzn-RequestId": {
            "description": "Unique request reference identifier.",
            "required": True,
            "schema": {"type": "string"},
        }
    }
    if rate_limit:
        headers["x-amzn-RateLimit-Limit"] = {
            "description": "Your rate limit (requests per second) for this operation.",
            "schema": {"type": "string"},
        }
    return headers


def _error(description: str, rate_limit: bool = False) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _headers(rate_limit),
        "content": {"application/json": {"schema": {"$ref": _REF + "ErrorList"}}},
    }


def _api_errors() -> dict[str, Any]:
    return {
        "400": _error("Request has missing or invalid parameters and cannot be parsed.", True),
        "403": _error("Access to the resource is forbidden: token, role or an ineligible order."),
        "404": _error("The resource specified does not exist.", True),
        "413": _error("The request size exceeded the maximum accepted size."),
        "415": _error("The request payload is in an unsupported format."),
        "429": _error("The frequency of requests was greater than allowed."),
        "500": _error("An unexpected condition occurred."),
        "503": _error("Temporary overloading or maintenance of the server."),
    }


def _ok(description: str, schema: str, media: str = "application/hal+json", rate_limit: bool = True) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _headers(rate_limit),
        "content": {media: {"schema": {"$ref": _REF + schema}}},
    }


_ORDER_ID = {
    "name": "amazonOrderId",
    "in": "path",
    "required": True,
    "description": "An Amazon order identifier.",
    "schema": {"type": "string"},
}
_MARKETPLACE_IDS = {
    "name": "marketplaceIds",
    "in": "query",
    "required": True,
    "description": "A marketplace identifier. Only one marketplace can be specified.",
    "style": "form",
    "explode": False,
    "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
}
_JSON_BODY = {
    "required": False,
    "content": {"application/json": {"schema": {"type": "object"}}},
}

_LINK = {
    "type": "object",
    "required": ["href"],
    "properties": {"href": {"type": "string"}, "name": {"type": "string"}},
}

_SCHEMAS: dict[str, Any] = {
    "LinkObject": _LINK,
    "Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "details": {"type": "string"},
        },
    },
    "ErrorList": {
        "type": "object",
        "required": ["errors"],
        "properties": {"errors": {"type": "array", "items": {"$ref": _REF + "Error"}}},
    },
    "GetSchemaResponse": {
        "type": "object",
        "properties": {
            "_links": {
                "type": "object",
                "required": ["self"],
                "properties": {"self": {"$ref": _REF + "LinkObject"}},
            },
        },
        "additionalProperties": True,
    },
    "GetSolicitationActionResponse": {
        "type": "object",
        "required": ["_links", "name", "title"],
        "properties": {
            "_links": {
                "type": "object",
                "required": ["self", "schema"],
                "properties": {
                    "self": {"$ref": _REF + "LinkObject"},
                    "schema": {"$ref": _REF + "LinkObject"},
                },
            },
            "_embedded": {"type": "object", "properties": {"schema": {"$ref": _REF + "GetSchemaResponse"}}},
            "name": {"type": "string"},
            "title": {"type": "string"},
        },
    },
    "GetSolicitationActionsForOrderResponse": {
        "type": "object",
        "required": ["_links", "_embedded"],
        "properties": {
            "_links": {
                "type": "object",
                "required": ["self", "actions"],
                "properties": {
                    "self": {"$ref": _REF + "LinkObject"},
                    "actions": {"type": "array", "items": {"$ref": _REF + "LinkObject"}},
                },
            },
            "_embedded": {
                "type": "object",
                "required": ["actions"],
                "properties": {"actions": {"type": "array", "items": {"$ref": _REF + "GetSolicitationActionResponse"}}},
            },
        },
    },
    "CreateProductReviewAndSellerFeedbackSolicitationResponse": {
        "type": "object",
        "properties": {"errors": {"type": "array", "items": {"$ref": _REF + "Error"}}},
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "Seller": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "marketplaceIds": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Order": {
        "type": "object",
        "description": "An Orders API order object plus SellerId, BuyerLocale and BuyerOptedOut.",
        "properties": {
            "AmazonOrderId": {"type": "string"},
            "SellerId": {"type": "string"},
            "MarketplaceId": {"type": "string"},
            "OrderStatus": {"type": "string"},
            "PurchaseDate": {"type": "string"},
            "EarliestDeliveryDate": {"type": "string"},
            "LatestDeliveryDate": {"type": "string"},
            "FulfillmentChannel": {"type": "string"},
            "BuyerInfo": {"type": "object", "properties": {"BuyerEmail": {"type": "string"}}},
            "BuyerLocale": {"type": "string"},
            "BuyerOptedOut": {"type": "boolean"},
        },
    },
    "AccessTokenRequest": {
        "type": "object",
        "required": ["sellerId", "applicationId"],
        "properties": {
            "sellerId": {"type": "string"},
            "applicationId": {"type": "string"},
            "roles": {"type": "array", "items": {"type": "string"}},
        },
    },
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "expires_in"],
        "properties": {"access_token": {"type": "string"}, "expires_in": {"type": "integer"}},
    },
    "UsagePlan": {
        "type": "object",
        "required": ["rate", "burst"],
        "properties": {"rate": {"type": "number"}, "burst": {"type": "integer"}},
    },
    "UsagePlanState": {
        "type": "object",
        "required": ["sellerId", "applicationId", "operationId", "rate", "burst", "tokens"],
        "properties": {
            "sellerId": {"type": "string"},
            "applicationId": {"type": "string"},
            "operationId": {"type": "string"},
            "rate": {"type": "number"},
            "burst": {"type": "integer"},
            "tokens": {"type": "number"},
        },
    },
    "OrderState": {
        "type": "object",
        "required": ["order", "eligibility", "solicitation"],
        "properties": {
            "order": {"$ref": _REF + "Order"},
            "eligibility": {"type": "object"},
            "solicitation": {"type": ["object", "null"]},
        },
    },
}

_PLAN_PARAMETERS = [
    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    for name in ("sellerId", "applicationId", "operationId")
]


def _admin_operation(summary: str, ok_schema: str, body: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["admin"],
        "security": [{"adminBearer": []}],
        "responses": {
            "200": _ok("Done.", ok_schema, "application/json", rate_limit=False),
            "400": _error("Invalid input."),
            "401": _error("The admin token is missing or wrong."),
            "404": _error("The resource specified does not exist."),
            "413": _error("The request size exceeded the maximum accepted size."),
            "415": _error("The request payload is in an unsupported format."),
            "503": _error("The store is unavailable."),
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF + body}}},
        }
    return operation


def openapi_document(*, admin: bool, metrics: bool) -> dict[str, Any]:
    """The document; admin paths and /metrics appear only when enabled."""
    paths: dict[str, Any] = {
        "/solicitations/v1/orders/{amazonOrderId}": {
            "get": {
                "operationId": GET_ACTIONS,
                "summary": "Returns the solicitation actions available for an order.",
                "tags": ["solicitations"],
                "parameters": [_ORDER_ID, _MARKETPLACE_IDS],
                "responses": {
                    "200": _ok("Actions allowed for the order.", "GetSolicitationActionsForOrderResponse"),
                    **_api_errors(),
                },
            }
        },
        "/solicitations/v1/orders/{amazonOrderId}/solicitations/productReviewAndSellerFeedback": {
            "post": {
                "operationId": CREATE_REVIEW_SOLICITATION,
                "summary": "Sends a solicitation to a buyer asking for seller feedback and a product review.",
                "tags": ["solicitations"],
                "parameters": [_ORDER_ID, _MARKETPLACE_IDS],
                "requestBody": _JSON_BODY,
                "responses": {
                    "201": _ok(
                        "The message was created for the order.",
                        "CreateProductReviewAndSellerFeedbackSolicitationResponse",
                    ),
                    **_api_errors(),
                },
            }
        },
        "/solicitations/v1/orders/{amazonOrderId}/solicitations/productReviewAndSellerFeedback/schema": {
            "get": {
                "operationId": "getProductReviewAndSellerFeedbackSchema",
                "summary": "The JSON schema of the action's payload (the target of the HAL schema link).",
                "tags": ["solicitations"],
                "parameters": [_ORDER_ID],
                "responses": {
                    "200": _ok("The action's schema.", "GetSchemaResponse", rate_limit=False),
                    **{k: v for k, v in _api_errors().items() if k in ("403", "404", "500", "503")},
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "The process is alive.",
                "tags": ["operations"],
                "security": [],
                "responses": {"200": _ok("Alive.", "Health", "application/json", rate_limit=False)},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Ready for traffic: the store answers, its schema is current, Redis answers when used.",
                "tags": ["operations"],
                "security": [],
                "responses": {
                    "200": _ok("Ready.", "Health", "application/json", rate_limit=False),
                    "503": _error("Not ready; `details` names each failing check."),
                },
            }
        },
    }
    if metrics:
        paths["/metrics"] = {
            "get": {
                "operationId": "metrics",
                "summary": "Metrics in the Prometheus text exposition format 0.0.4.",
                "tags": ["operations"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The metrics.",
                        "headers": _headers(False),
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        }
    if admin:
        paths["/admin/v1/sellers/{sellerId}"] = {
            "put": {
                **_admin_operation("Create or replace a seller.", "Seller", "Seller"),
                "parameters": [{"name": "sellerId", "in": "path", "required": True, "schema": {"type": "string"}}],
            }
        }
        paths["/admin/v1/orders/{amazonOrderId}"] = {
            "put": {
                **_admin_operation("Create or replace an order.", "Order", "Order"),
                "parameters": [_ORDER_ID],
            },
            "get": {
                **_admin_operation("An order, its eligibility now and its solicitation.", "OrderState"),
                "parameters": [_ORDER_ID],
            },
        }
        paths["/admin/v1/usage-plans/{sellerId}/{applicationId}/{operationId}"] = {
            "put": {
                **_admin_operation("Grant a usage plan.", "UsagePlanState", "UsagePlan"),
                "parameters": _PLAN_PARAMETERS,
            },
            "get": {
                **_admin_operation("A usage plan and its bucket's level now.", "UsagePlanState"),
                "parameters": _PLAN_PARAMETERS,
            },
        }
        paths["/admin/v1/access-tokens"] = {
            "post": _admin_operation("Mint an access token.", "AccessToken", "AccessTokenRequest")
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Selling Partner API for Solicitations",
            "version": "v1",
            "description": "A self-hosted, spec-exact Solicitations API v1.",
            "license": {"name": "Apache License 2.0", "url": "http://www.apache.org/licenses/LICENSE-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "accessToken": {"type": "apiKey", "in": "header", "name": "x-amz-access-token"},
                "adminBearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"accessToken": []}],
    }
