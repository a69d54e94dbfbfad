"""Every GraphQL document the engine sends. One place, so tests can validate them all
against our SDL and against Shopify's published schema files."""

from __future__ import annotations

from .versions import uses_idempotency

# From 2026-04 the key is mandatory; the engine derives it from the run and the batch
# content (push.idempotency_key) so a retried batch reuses it and is applied once.
SET_QUANTITIES_IDEMPOTENT = """
mutation SetInventoryQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

SET_QUANTITIES_LEGACY = """
mutation SetInventoryQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

# nodes(ids:) takes up to 250 ids; a deleted variant comes back as null.
VARIANT_INVENTORY_ITEMS = """
query VariantInventoryItems($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant {
      id
      sku
      requiresComponents
      inventoryItem { id tracked }
    }
  }
}
"""

VARIANTS_PAGE = """
query VariantsPage($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id
      sku
      requiresComponents
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# The count rides along with the first page of a scan, so deciding between a full scan and
# SKU searches costs no call of its own.
VARIANTS_COUNT_AND_FIRST_PAGE = """
query VariantsCountAndFirstPage($first: Int!) {
  productVariantsCount { count precision }
  productVariants(first: $first) {
    nodes {
      id
      sku
      requiresComponents
      inventoryItem { id tracked }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

LOCATIONS_PAGE = """
query LocationsPage($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# Current quantities of given items at one location: conflicts and reconciliation reads.
# 250 ids per call (nodes' limit) cost about 3 points each, well under the 1,000 cap.
LEVELS_AT_LOCATION = """
query InventoryLevelsAt($ids: [ID!]!, $locationId: ID!, $names: [String!]!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: $names) { name quantity }
      }
    }
  }
}
"""

# Every level of a location, a page at a time: the paginated reconciliation read.
LOCATION_LEVELS_PAGE = """
query LocationLevelsPage($locationId: ID!, $first: Int!, $after: String, $names: [String!]!) {
  location(id: $locationId) {
    inventoryLevels(first: $first, after: $after) {
      nodes {
        item { id sku tracked }
        quantities(names: $names) { name quantity }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# The bulk read: one operation exports every variant with its inventory item and its levels
# (two nested connections, within the documented "five connections, two levels deep").
BULK_LEVELS_QUERY = """
{
  productVariants {
    edges {
      node {
        id
        sku
        requiresComponents
        inventoryItem {
          id
          tracked
          inventoryLevels {
            edges {
              node {
                location { id }
                quantities(names: ["available", "on_hand"]) { name quantity }
              }
            }
          }
        }
      }
    }
  }
}
"""

BULK_RUN_QUERY = """
mutation BulkRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

# node(id:) rather than bulkOperation(id:): the latter exists only from 2026-01.
BULK_OPERATION = """
query BulkOperationById($id: ID!) {
  node(id: $id) {
    ... on BulkOperation {
      id
      status
      errorCode
      objectCount
      url
      partialDataUrl
    }
  }
}
"""

CURRENT_BULK_OPERATION = """
query CurrentBulkOperation {
  currentBulkOperation {
    id
    status
    errorCode
    objectCount
    url
  }
}
"""

ACTIVATE_IDEMPOTENT = """
mutation ActivateInventory($inventoryItemId: ID!, $locationId: ID!, $idempotencyKey: String!) {
  inventoryActivate(inventoryItemId: $inventoryItemId, locationId: $locationId) @idempotent(key: $idempotencyKey) {
    inventoryLevel { id }
    userErrors { field message }
  }
}
"""

ACTIVATE_LEGACY = """
mutation ActivateInventory($inventoryItemId: ID!, $locationId: ID!) {
  inventoryActivate(inventoryItemId: $inventoryItemId, locationId: $locationId) {
    inventoryLevel { id }
    userErrors { field message }
  }
}
"""

# An item missing at several locations: one call activates it at all of them.
BULK_TOGGLE_ACTIVATION = """
mutation ActivateAtLocations($inventoryItemId: ID!, $updates: [InventoryBulkToggleActivationInput!]!) {
  inventoryBulkToggleActivation(inventoryItemId: $inventoryItemId, inventoryItemUpdates: $updates) {
    inventoryLevels { id location { id } }
    userErrors { field message code }
  }
}
"""

QUERIES = {
    "VariantInventoryItems": VARIANT_INVENTORY_ITEMS,
    "VariantsPage": VARIANTS_PAGE,
    "VariantsCountAndFirstPage": VARIANTS_COUNT_AND_FIRST_PAGE,
    "LocationsPage": LOCATIONS_PAGE,
    "InventoryLevelsAt": LEVELS_AT_LOCATION,
    "LocationLevelsPage": LOCATION_LEVELS_PAGE,
    "BulkRunQuery": BULK_RUN_QUERY,
    "BulkOperationById": BULK_OPERATION,
    "CurrentBulkOperation": CURRENT_BULK_OPERATION,
    "ActivateAtLocations": BULK_TOGGLE_ACTIVATION,
}


def activate_document(api_version: str) -> str:
    return ACTIVATE_IDEMPOTENT if uses_idempotency(api_version) else ACTIVATE_LEGACY


def set_quantities_document(api_version: str) -> str:
    return SET_QUANTITIES_IDEMPOTENT if uses_idempotency(api_version) else SET_QUANTITIES_LEGACY


# 2026-04+ only: the subscription's `uri` (older versions name it callbackUrl).
WEBHOOK_SUBSCRIBE = """
mutation SubscribeWebhook($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""


def all_documents(api_version: str) -> dict[str, str]:
    """Name -> document text for the version: what the schema tests validate."""
    return {
        "SetInventoryQuantities": set_quantities_document(api_version),
        "ActivateInventory": activate_document(api_version),
        "BulkLevelsQuery": BULK_LEVELS_QUERY,  # the text bulkOperationRunQuery runs
        **QUERIES,
        **({"SubscribeWebhook": WEBHOOK_SUBSCRIBE} if uses_idempotency(api_version) else {}),
    }
