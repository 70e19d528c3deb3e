"""The OpenAPI 3 document of the whole HTTP surface, written to match what the service answers.

Shapes follow the official Swagger model (docs/behaviour.md names it); statuses and media
types are the ones this service really sends, so a property-based tester can hold it to them.
"""

from typing import Any

from solicitations.domain import identifiers
from solicitations.domain.marketplaces import MARKETPLACES
from solicitations.domain.messages import OPT_OUT_PATH, MessageState
from solicitations.domain.usage_plans import CREATE_REVIEW_SOLICITATION, GET_ACTIONS
from solicitations.entrypoints.http.emulator import CLOCK_OPENAPI
from solicitations.entrypoints.operator_input import (
    MAX_BURST,
    MAX_LIST,
    MAX_MESSAGE_ID,
    MAX_RATE,
    MAX_URI,
    MIN_RATE,
    REDIRECT_URI_PATTERN,
)

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
    "schema": {
        "type": "array",
        "items": {"type": "string", "enum": sorted(MARKETPLACES)},
        "minItems": 1,
        "maxItems": 1,
    },
}
# What the admin API checks of identifiers (domain.identifiers' rule) and names (it refuses blank ones).
_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": identifiers.MAX_LENGTH,
    "pattern": identifiers.PATTERN,
    "description": "Printable characters, not all spaces.",
}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"}
_MARKETPLACE_LIST = {"type": "array", "items": {"type": "string", "enum": sorted(MARKETPLACES)}}
_ROLES = {"type": "array", "items": {"type": "string", "minLength": 1}}
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
    "TokenRequest": {
        "type": "object",
        "required": ["grant_type"],
        "properties": {
            "grant_type": {"type": "string", "enum": ["refresh_token", "authorization_code", "client_credentials"]},
            "refresh_token": {"type": "string"},
            "code": {"type": "string"},
            "redirect_uri": {"type": "string"},
            "scope": {"type": "string"},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
        },
    },
    "TokenResponse": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in"],
        "properties": {
            "access_token": {"type": "string"},
            "refresh_token": {"type": "string"},
            "token_type": {"type": "string"},
            "expires_in": {"type": "integer"},
        },
    },
    "OAuthError": {
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    "ApplicationRequest": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": _NAME,
            "roles": _ROLES,
            "redirectUris": {
                "type": "array",
                "items": {"type": "string", "maxLength": MAX_URI, "pattern": REDIRECT_URI_PATTERN},
            },
        },
    },
    "Application": {
        "type": "object",
        "required": ["applicationId", "name", "roles", "redirectUris", "state"],
        "properties": {
            "applicationId": {"type": "string"},
            "name": {"type": "string"},
            "clientId": {"type": ["string", "null"]},
            "clientSecret": {"type": "string", "description": "Only in the answer that creates the application."},
            "roles": {"type": "array", "items": {"type": "string"}},
            "redirectUris": {"type": "array", "items": {"type": "string"}},
            "state": {"type": "string", "enum": ["active", "suspended"]},
        },
    },
    "Applications": {
        "type": "object",
        "required": ["applications"],
        "properties": {"applications": {"type": "array", "items": {"$ref": _REF + "Application"}}},
    },
    "ClientSecret": {
        "type": "object",
        "required": ["clientSecret"],
        "properties": {"clientSecret": {"type": "string"}},
    },
    "ApplicationState": {
        "type": "object",
        "required": ["state"],
        "properties": {"state": {"type": "string", "enum": ["active", "suspended"]}},
    },
    "AuthorizationRequest": {
        "type": "object",
        "required": ["sellerId", "applicationId"],
        "properties": {"sellerId": _ID, "applicationId": _ID},
    },
    "RefreshToken": {
        "type": "object",
        "required": ["refresh_token"],
        "properties": {"refresh_token": {"type": "string"}},
    },
    "Revoked": {"type": "object", "required": ["revoked"], "properties": {"revoked": {"type": "integer"}}},
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "Seller": {
        "type": "object",
        "properties": {
            "name": _NAME,
            "marketplaceIds": _MARKETPLACE_LIST,
            "password": {
                "type": ["string", "null"],
                "minLength": 8,
                "writeOnly": True,
                "description": "For the consent page's sign-in; null or absent leaves it as it is.",
            },
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
            "OrderItems": {"type": "array", "items": {"$ref": _REF + "OrderItem"}},
        },
    },
    "OrderItem": {
        "type": "object",
        "description": "An item as the Orders API's getOrderItems shapes it (the fields the buyer's email shows).",
        "required": ["ASIN", "QuantityOrdered"],
        "properties": {
            "ASIN": {"type": "string"},
            "SellerSKU": {"type": "string"},
            "Title": {"type": "string"},
            "QuantityOrdered": {"type": "integer"},
        },
    },
    "OutboxMessage": {
        "type": "object",
        "required": ["id", "amazonOrderId", "messageId", "state", "attempts"],
        "properties": {
            "id": {"type": "integer"},
            "amazonOrderId": {"type": "string"},
            "messageId": {"type": "string"},
            "state": {"type": "string", "enum": [s.value for s in MessageState]},
            "attempts": {"type": "integer"},
            "lastError": {"type": ["string", "null"]},
            "nextAttemptAt": {"type": ["string", "null"]},
            "sentAt": {"type": ["string", "null"]},
            "createdAt": {"type": "string"},
        },
    },
    "OutboxMessages": {
        "type": "object",
        "required": ["messages"],
        "properties": {"messages": {"type": "array", "items": {"$ref": _REF + "OutboxMessage"}}},
    },
    "AccessTokenRequest": {
        "type": "object",
        "required": ["sellerId", "applicationId"],
        "properties": {
            "sellerId": _ID,
            "applicationId": _ID,
            "roles": _ROLES,
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
        "properties": {
            "rate": {"type": "number", "minimum": MIN_RATE, "maximum": MAX_RATE},
            "burst": {"type": "integer", "minimum": 1, "maximum": MAX_BURST},
        },
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
            "message": {"oneOf": [{"$ref": _REF + "OutboxMessage"}, {"type": "null"}]},
        },
    },
}


def _path_id(name: str) -> dict[str, Any]:
    """A path parameter the admin API checks with the identifier rule."""
    return {"name": name, "in": "path", "required": True, "schema": _ID}


_PLAN_PARAMETERS = [
    _path_id("sellerId"),
    _path_id("applicationId"),
    {"name": "operationId", "in": "path", "required": True, "schema": {"type": "string"}},
]


def _oauth_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _headers(False),
        "content": {"application/json": {"schema": {"$ref": _REF + "OAuthError"}}},
    }


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _form_body(fields: tuple[str, ...]) -> dict[str, Any]:
    schema = {"type": "object", "properties": {name: {"type": "string"} for name in fields}}
    return {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": schema}}}


def _admin_operation(summary: str, ok_schema: str, body: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["admin"],
        "security": [{"adminBearer": []}],
        "responses": {
            "200": _ok("Done.", ok_schema, "application/json", rate_limit=False),
            "400": _error("Invalid input."),
            "409": _error("The request conflicts with the resource's current state."),
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


_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The opt-out token of the link in the buyer's email.",
    "schema": {"type": "string"},
}


def _buyer_page(summary: str, operation_id: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["buyers"],
        "security": [],
        "parameters": [_TOKEN],
        "responses": {
            "200": {
                "description": "An HTML page in the buyer's language.",
                "headers": _headers(False),
                "content": {"text/html": {"schema": {"type": "string"}}},
            },
            "404": _error("No such token."),
            "503": _error("The store is unavailable."),
        },
    }


def openapi_document(*, admin: bool, metrics: bool, emulator: bool = False) -> dict[str, Any]:
    """The document; admin paths, /metrics and the emulator's clock appear only when enabled."""
    from solicitations.entrypoints.http.openapi_orders import (
        ORDERS_SCHEMAS,
        orders_paths,
    )  # it uses this module's helpers

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
        "/auth/o2/token": {
            "post": {
                "operationId": "lwaToken",
                "summary": "Login with Amazon: trade a refresh token, an authorization code or client credentials.",
                "tags": ["identity"],
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": {"$ref": _REF + "TokenRequest"}},
                        "application/json": {"schema": {"$ref": _REF + "TokenRequest"}},
                    },
                },
                "responses": {
                    "200": _ok("Tokens.", "TokenResponse", "application/json", rate_limit=False),
                    **{
                        status: _oauth_error(text)
                        for status, text in (
                            ("400", "invalid_request, invalid_grant, unsupported_grant_type, invalid_scope."),
                            ("401", "invalid_client."),
                            ("413", "The request body is too large."),
                            ("429", "Too many failed client authentications."),
                            ("503", "temporarily_unavailable."),
                        )
                    },
                },
            }
        },
        "/apps/authorize/consent": {
            "get": {
                "operationId": "consentPage",
                "summary": "The seller's sign-in or consent page (website authorization workflow).",
                "tags": ["identity"],
                "security": [],
                "parameters": [
                    {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}
                    for name, required in (
                        ("application_id", True),
                        ("state", True),
                        ("version", False),
                        ("redirect_uri", False),
                    )
                ],
                "responses": {"200": _html("The page."), "400": _html("The request cannot go ahead.")},
            },
            "post": {
                "operationId": "consent",
                "summary": "The seller consents (or not) and is redirected to the application.",
                "tags": ["identity"],
                "security": [],
                "requestBody": _form_body(("application_id", "state", "redirect_uri", "csrf", "decision")),
                "responses": {
                    "302": {"description": "Back to the application's redirect URI."},
                    "400": _html("The request cannot go ahead."),
                    "403": _html("No session, or a stale form."),
                },
            },
        },
        "/apps/authorize/signin": {
            "post": {
                "operationId": "signIn",
                "summary": "The seller signs in.",
                "tags": ["identity"],
                "security": [],
                "requestBody": _form_body(("seller_id", "password", "next")),
                "responses": {
                    "303": {"description": "Signed in."},
                    "400": _html("The seller id is missing or not a valid identifier."),
                    "401": _html("Wrong seller id or password."),
                },
            }
        },
        OPT_OUT_PATH + "/{token}": {
            "get": _buyer_page("The opt-out link's page: asks the buyer to confirm.", "getOptOut"),
            "post": _buyer_page(
                "Opt the buyer out of every later solicitation (the form, or RFC 8058 one-click).", "optOut"
            ),
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
    paths.update(orders_paths())
    if metrics:
        paths["/metrics"] = {
            "get": {
                "operationId": "metrics",
                "summary": "Metrics in the Prometheus text exposition format 0.0.4.",
                "tags": ["operations"],
                "security": [{"metricsBearer": []}],
                "responses": {
                    "200": {
                        "description": "The metrics.",
                        "headers": _headers(False),
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "401": _error("The metrics token (else the admin token) is missing or wrong."),
                },
            }
        }
    if admin:
        paths["/admin/v1/sellers/{sellerId}"] = {
            "put": {
                **_admin_operation("Create or replace a seller.", "Seller", "Seller"),
                "parameters": [_path_id("sellerId")],
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
        application_id = [_path_id("applicationId")]
        paths["/admin/v1/applications"] = {
            "post": _admin_operation(
                "Register an application (its secret is shown once).", "Application", "ApplicationRequest"
            ),
            "get": _admin_operation("Every application.", "Applications"),
        }
        paths["/admin/v1/applications/{applicationId}/secret"] = {
            "post": {**_admin_operation("Rotate the client secret.", "ClientSecret"), "parameters": application_id}
        }
        paths["/admin/v1/applications/{applicationId}/state"] = {
            "put": {
                **_admin_operation("Suspend or resume an application.", "Application", "ApplicationState"),
                "parameters": application_id,
            }
        }
        paths["/admin/v1/authorizations"] = {
            "post": _admin_operation("A seller authorizes an application.", "RefreshToken", "AuthorizationRequest")
        }
        paths["/admin/v1/authorizations/{sellerId}/{applicationId}"] = {
            "delete": {
                **_admin_operation("Revoke the authorization and every token minted from it.", "Revoked"),
                "parameters": [
                    _path_id("sellerId"),
                    *application_id,
                ],
            }
        }
        paths["/admin/v1/access-tokens"] = {
            "post": _admin_operation("Mint an access token.", "AccessToken", "AccessTokenRequest")
        }
        paths["/admin/v1/outbox"] = {
            "get": {
                **_admin_operation("The buyers' emails, oldest first.", "OutboxMessages"),
                "parameters": [
                    {
                        "name": "state",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": [s.value for s in MessageState]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST, "default": 100},
                    },
                ],
            }
        }
        paths["/admin/v1/outbox/{id}/retry"] = {
            "post": {
                **_admin_operation("Requeue a dead message: due now, with fresh attempts.", "OutboxMessage"),
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "description": "The message's `id` in the outbox (not its Message-ID header).",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_MESSAGE_ID},
                    }
                ],
            }
        }
    if admin and emulator:
        paths.update(CLOCK_OPENAPI)
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
            "schemas": {**_SCHEMAS, **ORDERS_SCHEMAS},
            "securitySchemes": {
                "accessToken": {"type": "apiKey", "in": "header", "name": "x-amz-access-token"},
                "adminBearer": {"type": "http", "scheme": "bearer"},
                "metricsBearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"accessToken": []}],
    }
