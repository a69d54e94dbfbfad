"""Who the emulated shop is, for Test Connection: its name and plan, the scopes its token was
granted, and the oldest API version it still serves. Tests may change these while it runs."""

from __future__ import annotations

from dataclasses import dataclass

from .shopify_facts import DEFAULT_GRANTED_SCOPES

# Shopify's publicDisplayName for each bucket plan the emulator knows (documented values:
# Basic, Grow, Advanced, Plus, ...; "standard" buckets belong to Basic/Grow shops).
PLAN_DISPLAY_NAMES = {"standard": "Grow", "advanced": "Advanced", "plus": "Plus"}


@dataclass
class ShopProfile:
    name: str = "Emulated Shop"
    plan_display_name: str = "Grow"
    shopify_plus: bool = False
    partner_development: bool = False
    # What currentAppInstallation.accessScopes lists. Shopify lists a write scope's read scope
    # beside it (the AppInstallation example on shopify.dev), so the default does too.
    access_scopes: tuple[str, ...] = DEFAULT_GRANTED_SCOPES
    # A request for an older version is served by this one, with it in X-Shopify-API-Version:
    # Shopify's documented "fall forward". None: every version the engine speaks is served.
    oldest_supported_version: str | None = None

    @classmethod
    def for_plan(cls, plan_name: str) -> ShopProfile:
        return cls(
            plan_display_name=PLAN_DISPLAY_NAMES.get(plan_name, "Grow"), shopify_plus=plan_name == "plus"
        )

    def served_version(self, requested: str) -> str:
        oldest = self.oldest_supported_version
        return oldest if oldest is not None and requested < oldest else requested
