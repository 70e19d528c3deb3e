"""The admin API for operators and test suites, behind `Authorization: Bearer <admin token>`."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from solicitations.bootstrap import Container
from solicitations.domain import errors
from solicitations.domain.identity import Application
from solicitations.domain.messages import MessageState
from solicitations.domain.orders import format_timestamp
from solicitations.domain.outbox import OutboxMessage
from solicitations.domain.usage_plans import BucketKey
from solicitations.entrypoints import operator_input
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.bearer import bearer_matches
from solicitations.entrypoints.http.emulator import clock_routes
from solicitations.entrypoints.http.requests import json_body
from solicitations.entrypoints.http.routing import route
from solicitations.entrypoints.operator_input import (
    MAX_LIST,
    MAX_MESSAGE_ID,
    identifier,
    known_operation,
    whole_number,
)
from solicitations.service.admin import OrderReport
from solicitations.service.ports.buckets import BucketsUnavailable
from solicitations.service.ports.secrets import SecretHasherBusy
from solicitations.service.ports.store import StoreUnavailable

Handler = Callable[[Request], Awaitable[Any]]


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def _message_document(message: OutboxMessage) -> dict[str, Any]:
    """An outbox message as operators see it: ids and state, never the address."""
    return {
        "id": message.outbox_id,
        "amazonOrderId": message.amazon_order_id,
        "messageId": message.message_id,
        "state": message.state.value,
        "attempts": message.attempts,
        "lastError": message.last_error,
        "nextAttemptAt": _timestamp(message.due_at),
        "sentAt": _timestamp(message.sent_at),
        "createdAt": _timestamp(message.created_at),
    }


def _report_document(report: OrderReport) -> dict[str, Any]:
    span, solicitation, message = report.window, report.stored.solicitation, report.message
    return {
        "order": report.stored.order.to_document(),
        "eligibility": {
            "eligible": report.reason is None,
            "reason": None if report.reason is None else report.reason.value,
            "at": format_timestamp(report.at),
            "window": None
            if span is None
            else {"opens": format_timestamp(span.opens), "closes": format_timestamp(span.closes)},
        },
        "solicitation": None
        if solicitation is None
        else {
            "action": solicitation.action,
            "applicationId": solicitation.application_id,
            "marketplaceId": solicitation.marketplace_id,
            "createdAt": format_timestamp(solicitation.created_at),
            "requestId": solicitation.request_id,
        },
        "message": None if message is None else _message_document(message),
    }


def _path_id(request: Request, name: str) -> str:
    """A path parameter naming a stored row, checked like every id (400 naming it)."""
    return identifier(request.path_params[name], name)


def admin_routes(container: Container, admin_token: str) -> list[Route]:
    admin = container.admin
    delivery = container.delivery
    throttle = container.throttle
    identity = container.identity
    authenticator = container.authenticator
    limit = container.settings.max_body_bytes

    def guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            request_id = rendering.new_request_id()
            if not bearer_matches(request, admin_token):
                return rendering.error_response(errors.ADMIN_UNAUTHORIZED, request_id)
            try:
                return rendering.json_response(await handler(request), request_id)
            except errors.ApiError as raised:
                error = raised.failure
                return rendering.error_response(error, request_id)
            except SecretHasherBusy:
                return rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id, rendering.BUSY_RETRY_AFTER)
            except (StoreUnavailable, BucketsUnavailable):
                return rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)

        return endpoint

    async def body(request: Request) -> Any:
        decoded = await json_body(request, limit)
        if decoded is None:
            raise errors.ApiError(errors.INVALID_INPUT.with_details("a JSON object body is required"))
        return decoded

    async def put_seller(request: Request) -> Any:
        decoded = await body(request)
        password = operator_input.seller_password(decoded)
        seller = operator_input.seller(request.path_params["sellerId"], decoded)
        await admin.put_seller(seller)
        if password is not None:
            await identity.set_password(seller.seller_id, password)
        return {
            "sellerId": seller.seller_id,
            "name": seller.name,
            "marketplaceIds": list(seller.marketplace_ids),
        }

    async def put_order(request: Request) -> Any:
        order = operator_input.order(request.path_params["amazonOrderId"], await body(request))
        return (await admin.put_order(order)).to_document()

    async def issue_token(request: Request) -> Any:
        wanted = operator_input.access_token_request(await body(request))
        issued = await admin.issue(wanted.seller_id, wanted.application_id, wanted.roles)
        return {"access_token": issued.access_token, "expires_in": issued.expires_in}

    async def get_order(request: Request) -> Any:
        return _report_document(await admin.describe_order(_path_id(request, "amazonOrderId")))

    def bucket_key(request: Request) -> BucketKey:
        return BucketKey(
            _path_id(request, "sellerId"), _path_id(request, "applicationId"), request.path_params["operationId"]
        )

    async def plan_view(key: BucketKey) -> Any:
        plan = await throttle.plan(key)
        return {
            "sellerId": key.seller_id,
            "applicationId": key.application_id,
            "operationId": key.operation,
            "rate": plan.rate,
            "burst": plan.burst,
            "tokens": round(await throttle.buckets.level(key, plan), 6),
        }

    async def put_usage_plan(request: Request) -> Any:
        key = bucket_key(request)
        await admin.put_usage_plan(key, operator_input.usage_plan(key, await body(request)))
        throttle.forget()
        return await plan_view(key)

    async def get_usage_plan(request: Request) -> Any:
        key = bucket_key(request)
        known_operation(key.operation)
        return await plan_view(key)

    def application_view(application: Application) -> dict[str, Any]:
        return {
            "applicationId": application.application_id,
            "name": application.name,
            "clientId": application.client_id,
            "roles": sorted(application.roles),
            "redirectUris": list(application.redirect_uris),
            "state": application.state,
        }

    async def create_application(request: Request) -> Any:
        wanted = operator_input.application(await body(request))
        created = await identity.create_application(wanted.name, wanted.roles, wanted.redirect_uris)
        return {**application_view(created.application), "clientSecret": created.client_secret}

    async def list_applications(request: Request) -> Any:
        return {"applications": [application_view(a) for a in await identity.list_applications()]}

    async def rotate_secret(request: Request) -> Any:
        return {"clientSecret": await identity.rotate_secret(_path_id(request, "applicationId"))}

    async def set_state(request: Request) -> Any:
        state = operator_input.application_state(await body(request))
        application_id = _path_id(request, "applicationId")
        await identity.set_state(application_id, state)
        authenticator.forget()  # a suspension bites on this node's next request
        application = await identity.find_application(application_id)
        assert application is not None
        return application_view(application)

    async def authorize(request: Request) -> Any:
        seller_id, application_id = operator_input.authorization(await body(request))
        return {"refresh_token": await identity.authorize(seller_id, application_id)}

    async def revoke(request: Request) -> Any:
        revoked = await identity.revoke(_path_id(request, "sellerId"), _path_id(request, "applicationId"))
        authenticator.forget()  # revocation bites on this node's next request
        return {"revoked": revoked}

    async def list_outbox(request: Request) -> Any:
        state_name = request.query_params.get("state")
        states = {s.value: s for s in MessageState}
        if state_name is not None and state_name not in states:
            raise operator_input.invalid(f"state must be one of {', '.join(states)}")
        limit = whole_number(request.query_params.get("limit", "100"), "limit", 1, MAX_LIST)
        messages = await delivery.messages(None if state_name is None else states[state_name], limit)
        return {"messages": [_message_document(m) for m in messages]}

    async def retry_message(request: Request) -> Any:
        message_id = whole_number(request.path_params["id"], "id", 1, MAX_MESSAGE_ID)
        return _message_document(await delivery.requeue(message_id))

    plan_path = "/admin/v1/usage-plans/{sellerId}/{applicationId}/{operationId}"
    emulator = [] if container.movable_clock is None else clock_routes(container.movable_clock, guarded, limit)
    return [
        *emulator,
        route("/admin/v1/applications", {"POST": guarded(create_application), "GET": guarded(list_applications)}),
        route("/admin/v1/applications/{applicationId}/secret", {"POST": guarded(rotate_secret)}),
        route("/admin/v1/applications/{applicationId}/state", {"PUT": guarded(set_state)}),
        route("/admin/v1/authorizations", {"POST": guarded(authorize)}),
        route("/admin/v1/authorizations/{sellerId}/{applicationId}", {"DELETE": guarded(revoke)}),
        route(plan_path, {"PUT": guarded(put_usage_plan), "GET": guarded(get_usage_plan)}),
        route("/admin/v1/sellers/{sellerId}", {"PUT": guarded(put_seller)}),
        route("/admin/v1/orders/{amazonOrderId}", {"PUT": guarded(put_order), "GET": guarded(get_order)}),
        route("/admin/v1/access-tokens", {"POST": guarded(issue_token)}),
        route("/admin/v1/outbox", {"GET": guarded(list_outbox)}),
        route("/admin/v1/outbox/{id}/retry", {"POST": guarded(retry_message)}),
    ]
