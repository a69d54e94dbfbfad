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

QUERIES = {
    "VariantInventoryItems": VARIANT_INVENTORY_ITEMS,
    "VariantsPage": VARIANTS_PAGE,
    "VariantsCountAndFirstPage": VARIANTS_COUNT_AND_FIRST_PAGE,
    "LocationsPage": LOCATIONS_PAGE,
}


def set_quantities_document(api_version: str) -> str:
    return SET_QUANTITIES_IDEMPOTENT if uses_idempotency(api_version) else SET_QUANTITIES_LEGACY


def all_documents(api_version: str) -> dict[str, str]:
    """Name -> document text for the version: what the schema tests validate."""
    return {"SetInventoryQuantities": set_quantities_document(api_version), **QUERIES}
