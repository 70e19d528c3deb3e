"""A typed SP-API client for the Solicitations operations and the Orders API's reads, sync and async:
Login with Amazon tokens cached, each operation paced to its plan, transient failures retried."""

from solicitations.client.clients import AsyncSellingPartnerClient, SellingPartnerClient
from solicitations.client.core import Credentials
from solicitations.client.endpoints import ENDPOINTS, LWA_TOKEN_URL
from solicitations.client.errors import LwaError, SpApiError
from solicitations.client.operations import Created, OrdersPage, SolicitationActions
from solicitations.client.pacing import RetryPolicy

__all__ = [
    "ENDPOINTS",
    "LWA_TOKEN_URL",
    "AsyncSellingPartnerClient",
    "Created",
    "Credentials",
    "LwaError",
    "OrdersPage",
    "RetryPolicy",
    "SellingPartnerClient",
    "SolicitationActions",
    "SpApiError",
]
