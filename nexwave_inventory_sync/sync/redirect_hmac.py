"""The `hmac` Shopify puts on the redirect back from its authorize page, and its check. One
home: the install callback (the app's oauth_install.py) checks it, the emulator signs with it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping


def redirect_hmac(params: Mapping[str, str], secret: str) -> str:
    """The `hmac` Shopify puts on the redirect back from its authorize page: hex HMAC-SHA256,
    keyed with the client secret, of every other parameter as `k=v`, sorted, joined by `&`
    (documented: "Implement authorization code grant manually", verify the hmac). The escaping
    of `%`, `&` and a key's `=` is what Shopify's own Python library does against tampering
    with the delimiters; no value Shopify sends here holds them."""

    def pair(key: str, value: str) -> str:
        key = key.replace("%", "%25").replace("=", "%3D")
        return f"{key}={value.replace('%', '%25')}".replace("&", "%26")

    message = "&".join(sorted(pair(k, str(v)) for k, v in params.items() if k not in ("hmac", "signature")))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def redirect_signed(params: Mapping[str, str], secret: str) -> bool:
    """Whether a redirect's `hmac` is Shopify's, compared in constant time."""
    sent = str(params.get("hmac") or "").lower()
    return bool(sent) and hmac.compare_digest(redirect_hmac(params, secret), sent)
