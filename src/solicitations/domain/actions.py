"""The catalogue of solicitation actions and the JSON schema each one publishes."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    title: str
    description: str

    def schema(self) -> dict[str, Any]:
        """The action's payload schema, as the real service embeds it (draft-04, no properties)."""
        return {
            "type": "object",
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "properties": {},
            "required": [],
            "$schema": "http://json-schema.org/draft-04/schema#",
            "x-ui-hidden": True,
        }


PRODUCT_REVIEW_AND_SELLER_FEEDBACK = Action(
    name="productReviewAndSellerFeedback",
    title="Request seller feedback and product review",
    description="Request seller feedback and product review",
)

ACTIONS: dict[str, Action] = {a.name: a for a in (PRODUCT_REVIEW_AND_SELLER_FEEDBACK,)}
