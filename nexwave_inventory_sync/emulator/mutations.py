"""Root mutation fields: inventorySetQuantities (with its idempotency key), inventoryActivate,
inventoryBulkToggleActivation, bulkOperationRunQuery and webhookSubscriptionCreate."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from graphql import FieldNode, GraphQLError, value_from_ast_untyped

from .catalog import NOT_STOCKED, gid, parse_gid
from .idempotency import fingerprint
from .inventory import set_quantities, user_error
from .resolvers import RequestContext, idempotent_directive, max_input_size_error
from .views import InventoryItem, InventoryLevel


class MutationRoot:
    def __init__(self, context: RequestContext):
        self.context = context

    def inventorySetQuantities(self, info: Any, input: dict) -> dict:
        context = self.context
        field = info.field_nodes[0]
        key = None
        if context.change_from_era:
            key = self._require_idempotency_key(info)
            self._require_change_from(field)
        quantities = input.get("quantities") or []
        if len(quantities) > context.max_batch:
            raise max_input_size_error(len(quantities), context.max_batch)

        print_ = fingerprint(input)
        if key is not None:
            remembered = context.idempotency.lookup(key)
            if remembered is not None:
                if remembered[0] != print_:
                    return {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": [
                            user_error(
                                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                "The idempotency key was already used with different parameters.",
                                "idempotencyKey",
                            )
                        ],
                    }
                context.stats.add(idempotent_replays=1)
                return remembered[1]

        outcome = set_quantities(
            context.catalog,
            input,
            change_from_era=context.change_from_era,
            partial_apply=context.partial_apply,
            group_number=next(context.group_numbers),
            created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        if outcome.rows_written:
            context.stats.add(mutations_applied=1, quantities_set=outcome.rows_written)
        if key is not None:
            context.idempotency.remember(key, print_, outcome.payload)
        return outcome.payload

    def _require_idempotency_key(self, info: Any) -> str:
        """From 2026-04 @idempotent(key:) is required on inventory mutations (field
        descriptions in admin_2026-07); the error text and code are a guess. The key."""
        field = info.field_nodes[0]
        present, key = idempotent_directive(field, self.context.raw_variables)
        if not present:
            raise GraphQLError(
                "The @idempotent directive is required for this mutation.",
                field,
                extensions={"code": "BAD_REQUEST"},
            )
        if not isinstance(key, str) or not key.strip():
            raise GraphQLError(
                "The @idempotent directive key must not be empty or whitespace.",
                field,
                extensions={"code": "BAD_REQUEST"},
            )
        return key

    def inventoryActivate(
        self,
        info: Any,
        inventoryItemId: str,
        locationId: str,
        available: int | None = None,
        onHand: int | None = None,
    ) -> dict:
        """Stock an item at a location (documented: "Activate an inventory item at a
        location"); a level that already exists is returned as is (guess: no error)."""
        if self.context.change_from_era:
            self._require_idempotency_key(info)
        catalog = self.context.catalog
        item = parse_gid(inventoryItemId)
        location = parse_gid(locationId)
        row = catalog.item_row(item[1]) if item and item[0] == "InventoryItem" else None
        loc = catalog.location_row(location[1]) if location and location[0] == "Location" else None
        if row is None or loc is None:
            what = "inventoryItemId" if row is None else "locationId"
            return {
                "inventoryLevel": None,
                "userErrors": [{"field": [what], "message": f"The {what} could not be found."}],
            }
        if catalog.level(row, loc) is None:
            start = onHand if onHand is not None else (available or 0)
            catalog.write_level(row, loc, start)
            self.context.stats.add(activations=1)
        return {"inventoryLevel": InventoryLevel(catalog, row, loc), "userErrors": []}

    def inventoryBulkToggleActivation(
        self, info: Any, inventoryItemId: str, inventoryItemUpdates: list[dict]
    ) -> dict:
        """Documented: activates or deactivates one item at several locations and returns the
        activated levels. Guessed: the error paths and texts, that an unknown location fails
        the whole call (nothing applied), and deactivation refused while units are committed."""
        catalog = self.context.catalog
        item = parse_gid(inventoryItemId)
        row = catalog.item_row(item[1]) if item and item[0] == "InventoryItem" else None
        if row is None:
            return {
                "inventoryItem": None,
                "inventoryLevels": None,
                "userErrors": [
                    {
                        "code": "INVENTORY_ITEM_NOT_FOUND",
                        "field": ["inventoryItemId"],
                        "message": "The inventory item could not be found.",
                    }
                ],
            }
        targets = []
        for index, update in enumerate(inventoryItemUpdates):
            location = parse_gid(update.get("locationId"))
            loc = catalog.location_row(location[1]) if location and location[0] == "Location" else None
            if loc is None:
                return {
                    "inventoryItem": InventoryItem(catalog, row),
                    "inventoryLevels": None,
                    "userErrors": [
                        {
                            "code": "LOCATION_NOT_FOUND",
                            "field": ["inventoryItemUpdates", str(index), "locationId"],
                            "message": "The location could not be found.",
                        }
                    ],
                }
            targets.append((loc, bool(update.get("activate"))))
        levels, errors = [], []
        for index, (loc, activate) in enumerate(targets):
            if activate:
                if catalog.level(row, loc) is None:
                    catalog.write_level(row, loc, 0)
                    self.context.stats.add(activations=1)
                levels.append(InventoryLevel(catalog, row, loc))
            elif catalog.level(row, loc) is not None:
                if catalog.committed(row, loc):
                    errors.append(
                        {
                            "code": "COMMITTED_INVENTORY_AT_LOCATION",
                            "field": ["inventoryItemUpdates", str(index), "locationId"],
                            "message": "The item has committed inventory at the location.",
                        }
                    )
                else:
                    catalog.write_level(row, loc, NOT_STOCKED)
        return {"inventoryItem": InventoryItem(catalog, row), "inventoryLevels": levels, "userErrors": errors}

    def bulkOperationRunQuery(self, info: Any, query: str, groupObjects: bool = False) -> dict:
        operations = self.context.bulk_operations
        if operations is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"code": "INVALID", "field": None, "message": "bulk operations are off"}],
            }
        payload = operations.run_query(self.context.version, self.context.schema, query)
        if payload.get("bulkOperation") is not None:
            self.context.stats.add(bulk_operations=1)
        return payload

    def webhookSubscriptionCreate(self, info: Any, topic: str, webhookSubscription: dict) -> dict:
        """Kept on the executor (emulator/webhooks.py's sender may be pointed at them); the same
        topic and address twice is refused, as Shopify refuses it."""
        subscriptions = self.context.webhook_subscriptions
        uri = (webhookSubscription.get("uri") or "").strip()
        if not uri.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return _subscription_error(["webhookSubscription", "uri"], "Address is invalid")
        if subscriptions is None or any(s[1:] == (topic, uri) for s in subscriptions):
            return _subscription_error(
                ["webhookSubscription", "uri"], "Address for this topic has already been taken"
            )
        subscription = (gid("WebhookSubscription", len(subscriptions) + 1), topic, uri)
        subscriptions.append(subscription)
        return {
            "webhookSubscription": {"id": subscription[0], "topic": topic, "uri": uri, "format": "JSON"},
            "userErrors": [],
        }

    def _require_change_from(self, field: FieldNode) -> None:
        """From 2026-04 every row must carry changeFromQuantity, even as null; only the input
        as sent can tell an absent field from an explicit null."""
        sent = None
        for argument in field.arguments or ():
            if argument.name.value == "input":
                sent = value_from_ast_untyped(argument.value, self.context.raw_variables)
        rows = sent.get("quantities") if isinstance(sent, dict) else None
        missing = [
            str(i)
            for i, row in enumerate(rows or [])
            if not isinstance(row, dict) or "changeFromQuantity" not in row
        ]
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            raise GraphQLError(
                f'"changeFromQuantity" must be provided on every quantity (null skips the check); '
                f"missing in input.quantities {shown}",
                field,
                extensions={"code": "BAD_REQUEST"},
            )


def _subscription_error(field: list[str], message: str) -> dict:
    return {"webhookSubscription": None, "userErrors": [{"field": field, "message": message}]}
