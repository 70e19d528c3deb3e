"""The admin API for operators and test suites, behind `Authorization: Bearer <admin token>`."""

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from solicitations.bootstrap import Container
from solicitations.domain import errors
from solicitations.domain.identity import Application
from solicitations.domain.messages import MessageState
from solicitations.domain.usage_plans import BucketKey
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.requests import json_body
from solicitations.entrypoints.http.routing import route
from solicitations.service.admin import identifier, invalid, known_operation, message_document
from solicitations.service.identity import PASSWORD_MIN
from solicitations.service.ports.buckets import BucketsUnavailable
from solicitations.service.ports.secrets import SecretHasherBusy
from solicitations.service.ports.store import StoreUnavailable

Handler = Callable[[Request], Awaitable[Any]]
MAX_LIST = 1000


def admin_routes(container: Container, admin_token: str) -> list[Route]:
    expected = f"Bearer {admin_token}".encode()
    admin = container.admin
    delivery = container.delivery
    throttle = container.throttle
    identity = container.identity
    authenticator = container.authenticator
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
        password = decoded.get("password") if isinstance(decoded, dict) else None
        if password is not None and (not isinstance(password, str) or len(password) < PASSWORD_MIN):
            details = f"password must be a string of at least {PASSWORD_MIN} characters"
            raise errors.ApiError(errors.INVALID_INPUT.with_details(details))
        seller = await admin.put_seller(request.path_params["sellerId"], decoded)
        if password is not None:
            await identity.set_password(seller.seller_id, password)
        return {
            "sellerId": seller.seller_id,
            "name": seller.name,
            "marketplaceIds": list(seller.marketplace_ids),
        }

    async def put_order(request: Request) -> Any:
        return (await admin.put_order(request.path_params["amazonOrderId"], await body(request))).to_document()

    async def issue_token(request: Request) -> Any:
        issued = await admin.issue_access_token(await body(request))
        return {"access_token": issued.access_token, "expires_in": issued.expires_in}

    async def get_order(request: Request) -> Any:
        return await admin.describe_order(request.path_params["amazonOrderId"])

    def bucket_key(request: Request) -> BucketKey:
        params = request.path_params
        return BucketKey(params["sellerId"], params["applicationId"], params["operationId"])

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
        await admin.put_usage_plan(key, await body(request))
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
        created = await identity.create_application(await body(request))
        return {**application_view(created.application), "clientSecret": created.client_secret}

    async def list_applications(request: Request) -> Any:
        return {"applications": [application_view(a) for a in await identity.list_applications()]}

    async def rotate_secret(request: Request) -> Any:
        return {"clientSecret": await identity.rotate_secret(request.path_params["applicationId"])}

    async def set_state(request: Request) -> Any:
        decoded = await body(request)
        application_id = request.path_params["applicationId"]
        await identity.set_state(application_id, decoded.get("state") if isinstance(decoded, dict) else None)
        authenticator.forget()  # a suspension bites on this node's next request
        application = await identity.find_application(application_id)
        assert application is not None
        return application_view(application)

    async def authorize(request: Request) -> Any:
        decoded = await body(request)
        if not isinstance(decoded, dict):
            raise errors.ApiError(errors.INVALID_INPUT.with_details("the body must be a JSON object"))
        seller_id = identifier(decoded.get("sellerId"), "sellerId")
        application_id = identifier(decoded.get("applicationId"), "applicationId")
        return {"refresh_token": await identity.authorize(seller_id, application_id)}

    async def revoke(request: Request) -> Any:
        revoked = await identity.revoke(request.path_params["sellerId"], request.path_params["applicationId"])
        authenticator.forget()  # revocation bites on this node's next request
        return {"revoked": revoked}

    async def list_outbox(request: Request) -> Any:
        state_name = request.query_params.get("state")
        states = {s.value: s for s in MessageState}
        if state_name is not None and state_name not in states:
            raise invalid(f"state must be one of {', '.join(states)}")
        limit = request.query_params.get("limit", "100")
        if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIST:
            raise invalid(f"limit must be a whole number from 1 to {MAX_LIST}")
        messages = await delivery.messages(None if state_name is None else states[state_name], int(limit))
        return {"messages": [message_document(m) for m in messages]}

    async def retry_message(request: Request) -> Any:
        return message_document(await delivery.requeue(request.path_params["messageId"]))

    plan_path = "/admin/v1/usage-plans/{sellerId}/{applicationId}/{operationId}"
    return [
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
        route("/admin/v1/outbox/{messageId:int}/retry", {"POST": guarded(retry_message)}),
    ]
