"""The admin API for operators and test suites, behind `Authorization: Bearer <admin token>`."""

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from solicitations.bootstrap import Container
from solicitations.domain import errors
from solicitations.domain.messages import MessageState
from solicitations.domain.usage_plans import DEFAULT_PLANS
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.requests import json_body
from solicitations.service.admin import invalid, message_document
from solicitations.service.ports import BucketKey, BucketsUnavailable, StoreUnavailable

Handler = Callable[[Request], Awaitable[Any]]
MAX_LIST = 1000


def admin_routes(container: Container, admin_token: str) -> list[Route]:
    expected = f"Bearer {admin_token}".encode()
    admin = container.admin
    delivery = container.delivery
    throttle = container.throttle
    limit = container.settings.max_body_bytes

    def guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            request_id = rendering.new_request_id()
            given = request.headers.get("authorization", "").encode("utf-8", "surrogateescape")
            if not hmac.compare_digest(given, expected):
                return rendering.error_response(errors.ADMIN_UNAUTHORIZED, request_id)
            try:
                return rendering.json_response(await handler(request), request_id)
            except errors.ApiError as raised:
                error = raised.failure
                return rendering.error_response(error, request_id)
            except (StoreUnavailable, BucketsUnavailable):
                return rendering.error_response(errors.SERVICE_UNAVAILABLE, request_id)

        return endpoint

    async def body(request: Request) -> Any:
        decoded = await json_body(request, limit)
        if decoded is None:
            raise errors.ApiError(errors.INVALID_INPUT.with_details("a JSON object body is required"))
        return decoded

    async def put_seller(request: Request) -> Any:
        seller = admin.put_seller(request.path_params["sellerId"], await body(request))
        return {
            "sellerId": seller.seller_id,
            "name": seller.name,
            "marketplaceIds": list(seller.marketplace_ids),
        }

    async def put_order(request: Request) -> Any:
        return admin.put_order(request.path_params["amazonOrderId"], await body(request)).to_document()

    async def issue_token(request: Request) -> Any:
        issued = admin.issue_access_token(await body(request))
        return {"access_token": issued.access_token, "expires_in": issued.expires_in}

    async def get_order(request: Request) -> Any:
        return admin.describe_order(request.path_params["amazonOrderId"])

    def bucket_key(request: Request) -> BucketKey:
        params = request.path_params
        return BucketKey(params["sellerId"], params["applicationId"], params["operationId"])

    async def plan_view(key: BucketKey) -> Any:
        plan = throttle.plan(key)
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
        admin.put_usage_plan(key, await body(request))
        throttle.forget()
        return await plan_view(key)

    async def get_usage_plan(request: Request) -> Any:
        key = bucket_key(request)
        if key.operation not in DEFAULT_PLANS:
            raise errors.ApiError(errors.NOT_FOUND)
        return await plan_view(key)

    async def list_outbox(request: Request) -> Any:
        state_name = request.query_params.get("state")
        states = {s.value: s for s in MessageState}
        if state_name is not None and state_name not in states:
            raise invalid(f"state must be one of {', '.join(states)}")
        limit = request.query_params.get("limit", "100")
        if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIST:
            raise invalid(f"limit must be a whole number from 1 to {MAX_LIST}")
        messages = delivery.messages(None if state_name is None else states[state_name], int(limit))
        return {"messages": [message_document(m) for m in messages]}

    async def retry_message(request: Request) -> Any:
        return message_document(delivery.requeue(request.path_params["messageId"]))

    plan_path = "/admin/v1/usage-plans/{sellerId}/{applicationId}/{operationId}"
    return [
        Route(plan_path, guarded(put_usage_plan), methods=["PUT"]),
        Route(plan_path, guarded(get_usage_plan), methods=["GET"]),
        Route("/admin/v1/sellers/{sellerId}", guarded(put_seller), methods=["PUT"]),
        Route("/admin/v1/orders/{amazonOrderId}", guarded(put_order), methods=["PUT"]),
        Route("/admin/v1/orders/{amazonOrderId}", guarded(get_order), methods=["GET"]),
        Route("/admin/v1/access-tokens", guarded(issue_token), methods=["POST"]),
        Route("/admin/v1/outbox", guarded(list_outbox), methods=["GET"]),
        Route("/admin/v1/outbox/{messageId:int}/retry", guarded(retry_message), methods=["POST"]),
    ]
