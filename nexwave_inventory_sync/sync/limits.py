"""Shopify's documented per-call limits. Each lives here once; everything else imports it."""

# inventorySetQuantities takes at most 250 quantities per call (Admin API changelog; the
# schema cannot say it).
BATCH_SIZE = 250
# nodes(ids:) takes at most 250 ids; connections return at most 250 per page.
MAX_NODES_PER_QUERY = 250
MAX_PAGE_SIZE = 250
# Shopify refuses a single query whose requested cost exceeds 1,000 points.
MAX_QUERY_COST = 1000
