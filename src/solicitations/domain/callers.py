"""Who calls the API: a selling partner through an application, and what its roles allow."""

from dataclasses import dataclass
from datetime import datetime

# Either role grants both Solicitations operations (developer guide).
SOLICITATION_ROLES = frozenset({"Buyer Solicitation", "Product Listing"})


@dataclass(frozen=True, slots=True)
class Caller:
    seller_id: str
    application_id: str
    roles: frozenset[str]
    expires_at: datetime

    def may_solicit(self) -> bool:
        return not SOLICITATION_ROLES.isdisjoint(self.roles)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at
