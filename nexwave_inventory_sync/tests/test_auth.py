"""Connecting with a Dev Dashboard app (issue 16): client credentials, the authorization code
and its expiring offline tokens, renewal before expiry and once after a 401, concurrent
renewal, and a 7,300-row push whose token expires every 2 seconds."""

from __future__ import annotations

import logging
import math
import threading
import unittest
from urllib.parse import parse_qsl, urlsplit

import requests

from nexwave_inventory_sync.emulator import OAuthApp, query_hmac
from nexwave_inventory_sync.emulator.oauth import OAuthServer
from nexwave_inventory_sync.sync.auth import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    GrantEndpoint,
    MemoryTokenStore,
    RenewingProvider,
    Token,
    client_credentials_grant,
    exchange_authorization_code,
    redirect_hmac,
    redirect_signed,
    refresh_token_grant,
    renewal_due,
    token_rejected,
    token_url,
)
from nexwave_inventory_sync.sync.client import CallFailed, ShopifyClient
from nexwave_inventory_sync.sync.endpoint import ShopifyEndpoint
from nexwave_inventory_sync.sync.errors import AuthError, AuthGrantError, ConnectionFailed, classify_response
from nexwave_inventory_sync.sync.retry import Action
from nexwave_inventory_sync.sync.run import SyncOptions, sync_inventory
from nexwave_inventory_sync.sync.shop_info import SHOP_INFO

from .emulated_shop import EmulatedShopTest

CLIENT_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SECRET = "shpss_client_secret_do_not_print_5f4e3d2c"


class RenewalDecisionTest(unittest.TestCase):
    def test_a_day_token_is_renewed_five_minutes_before_it_expires(self):
        token = Token("t", issued_at=0.0, expires_at=86399.0)
        self.assertFalse(renewal_due(token, 86399.0 - 301))
        self.assertTrue(renewal_due(token, 86399.0 - 299))

    def test_a_short_token_is_renewed_at_ninety_percent_of_its_life(self):
        token = Token("t", issued_at=100.0, expires_at=102.0)
        self.assertFalse(renewal_due(token, 101.7))
        self.assertTrue(renewal_due(token, 101.8))

    def test_no_token_is_due_and_a_token_without_expiry_never(self):
        self.assertTrue(renewal_due(None, 0.0))
        self.assertFalse(renewal_due(Token("t", issued_at=0.0), 10**12))

    def test_only_a_401_naming_the_token_is_worth_a_renewal(self):
        shopify = '{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}'
        _, error = classify_response(401, {}, shopify)
        self.assertTrue(token_rejected(error))
        _, html = classify_response(401, {}, "<html>proxy login</html>")
        self.assertFalse(token_rejected(html))
        _, forbidden = classify_response(403, {}, '{"errors":"[API] Invalid API key or access token"}')
        self.assertFalse(token_rejected(forbidden))

    def test_shopifys_documented_hmac_example(self):
        # The example of Shopify's OAuth verification docs (secret "hush").
        query = {
            "code": "0907a61c0c8d55e99db179b68161bc00",
            "shop": "some-shop.myshopify.com",
            "state": "0.6784241404160823",
            "timestamp": "1337178173",
        }
        self.assertEqual(
            query_hmac(query, "hush"), "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
        )

    def test_a_redirect_cannot_move_its_delimiters(self):
        # One parameter holding "1&b=2" must not sign like two parameters a=1 and b=2.
        self.assertNotEqual(redirect_hmac({"a": "1&b=2"}, "k"), redirect_hmac({"a": "1", "b": "2"}, "k"))
        signed = {"code": "c", "shop": "s.myshopify.com", "state": "x", "timestamp": "1"}
        signed["hmac"] = redirect_hmac(signed, "k")
        self.assertTrue(redirect_signed(signed, "k"))
        self.assertFalse(redirect_signed({**signed, "code": "other"}, "k"))
        self.assertFalse(redirect_signed(signed, "another secret"))
        self.assertFalse(redirect_signed({**signed, "hmac": ""}, "k"))


class OAuthShopTest(EmulatedShopTest):
    items = 50
    lifetime = 86399.0

    def setUp(self) -> None:
        super().setUp()
        self.app = OAuthApp(
            CLIENT_ID, SECRET, client_credentials_lifetime=self.lifetime, offline_lifetime=self.lifetime
        )
        self.emulator.oauth = OAuthServer(self.app, self.clock, self.emulator.shop_domain)

    def grant_endpoint(self, secret: str = SECRET) -> GrantEndpoint:
        return GrantEndpoint(token_url(self.emulator.base_url), CLIENT_ID, secret)

    def provider(self, secret: str = SECRET, store=None) -> RenewingProvider:
        grant = client_credentials_grant(
            self.grant_endpoint(secret), clock=self.clock.now, sleep=self.clock.sleep
        )
        return RenewingProvider(CLIENT_CREDENTIALS, grant, store, clock=self.clock.now)

    def oauth_endpoint(self, provider) -> ShopifyEndpoint:
        return ShopifyEndpoint(
            "test-shop.myshopify.com", endpoint_override=self.emulator.base_url, token_provider=provider
        )

    def shop_call(self, endpoint: ShopifyEndpoint, client_stats=None) -> dict:
        with ShopifyClient(endpoint, clock=self.clock, timeout=(2.0, 5.0)) as client:
            data = client.execute(SHOP_INFO, {}, operation="ShopInfo")
            if client_stats is not None:
                client_stats.append(client.stats)
            return data


class ClientCredentialsTest(OAuthShopTest):
    def test_a_token_is_fetched_once_and_renewed_before_it_expires(self):
        provider = self.provider()
        endpoint = self.oauth_endpoint(provider)
        self.shop_call(endpoint)
        self.shop_call(endpoint)
        self.assertEqual(self.emulator.oauth.grants["client_credentials"], 1)
        self.clock.advance(self.lifetime - 200)  # inside the five-minute margin
        self.shop_call(endpoint)
        self.assertEqual(self.emulator.oauth.grants["client_credentials"], 2)
        self.assertEqual(self.emulator.oauth.expired_rejections, 0, "renewed before, not after, expiry")

    def test_a_401_for_an_expired_token_renews_once_and_repeats_the_call(self):
        provider = self.provider()
        endpoint = self.oauth_endpoint(provider)
        self.shop_call(endpoint)
        self.emulator.oauth.expire_all()  # Shopify's clock disagrees with ours
        stats = []
        data = self.shop_call(endpoint, stats)
        self.assertIn("shop", data)
        self.assertEqual(stats[0].token_renewals, 1)
        self.assertEqual(self.emulator.oauth.expired_rejections, 1)
        self.assertEqual(provider.renewals, 2)

    def test_a_second_401_aborts_as_before(self):
        # A grant that hands out a token Shopify never accepts: renewed once, then the run stops.
        grants = []

        def bogus(stored):
            grants.append(1)
            return Token(f"shpat_never_valid_{len(grants)}", issued_at=self.clock.now(), expires_at=None)

        provider = RenewingProvider(CLIENT_CREDENTIALS, bogus, clock=self.clock.now)
        with self.assertRaises(CallFailed) as caught:
            self.shop_call(self.oauth_endpoint(provider))
        self.assertIsInstance(caught.exception.error, AuthError)
        self.assertIs(caught.exception.action, Action.ABORT_RUN)
        self.assertEqual(len(grants), 2, "one token at first, one renewal after the 401, no more")

    def test_a_wrong_secret_aborts_the_run_in_words_without_the_secret(self):
        wrong = "shpss_wrong_secret_0000000000000000"
        endpoint = self.oauth_endpoint(self.provider(secret=wrong))
        result = sync_inventory(
            endpoint, self.warm_rows(5), options=SyncOptions(timeout=(2.0, 5.0)), clock=self.clock
        )
        self.assertTrue(result.aborted)
        self.assertIn("Shopify refused the client ID or secret", result.abort_reason)
        self.assertNotIn(wrong, result.abort_reason)
        self.assertEqual(self.emulator.stats.calls, 0, "no GraphQL call without a token")
        self.assertEqual(self.emulator.oauth.refusals["invalid_client"], 1)

    def test_a_store_of_another_organization_is_told_to_use_the_authorization_code(self):
        self.app.own_organization = False
        with self.assertRaises(AuthGrantError) as caught:
            self.provider().current()
        self.assertEqual(caught.exception.code, "shop_not_permitted")
        self.assertIn("authorization code", str(caught.exception))

    def test_threads_of_one_run_renew_an_expired_token_once(self):
        provider = self.provider()
        endpoint = self.oauth_endpoint(provider)
        self.shop_call(endpoint)
        self.clock.advance(self.lifetime)  # every thread finds it due at once
        errors = []

        def call():
            try:
                self.shop_call(endpoint)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.emulator.oauth.grants["client_credentials"], 2)

    def test_two_workers_sharing_a_store_do_not_both_renew(self):
        # Two providers (two workers) over one store: after a 401 each renews the token its call
        # sent; the second finds the first's newer token in the store and sends that.
        store = MemoryTokenStore()
        first, second = self.provider(store=store), self.provider(store=store)
        sent_first, sent_second = first.current(), second.current()
        self.assertEqual(self.emulator.oauth.grants["client_credentials"], 1, "the second read the store")
        self.emulator.oauth.expire_all()
        renewed_first = first.renew(sent_first.serial)
        renewed_second = second.renew(sent_second.serial)
        self.assertEqual(self.emulator.oauth.grants["client_credentials"], 2)
        self.assertEqual(renewed_first.value, renewed_second.value)
        self.assertEqual(store.load().access_token, renewed_first.value)

    def test_no_secret_or_token_in_any_log_record(self):
        # Everything logged at DEBUG while a run gets a token, meets a 401 and renews (urllib3's
        # request lines included) holds neither the secret nor a token.
        records: list[str] = []

        class Collect(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record.getMessage())

        handler, root = Collect(logging.DEBUG), logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            provider = self.provider()
            endpoint = self.oauth_endpoint(provider)
            self.shop_call(endpoint)
            self.emulator.oauth.expire_all()
            result = sync_inventory(
                endpoint, self.warm_rows(5), options=SyncOptions(timeout=(2.0, 5.0)), clock=self.clock
            )
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
        self.assertFalse(result.aborted, result.abort_reason)
        self.assertTrue(records, "urllib3 logs its requests at DEBUG")
        text = "\n".join(records)
        for secret in (SECRET, *self.emulator.oauth._tokens):
            self.assertNotIn(secret, text)

    def test_no_secret_or_token_in_reprs(self):
        provider = self.provider()
        endpoint = self.oauth_endpoint(provider)
        self.shop_call(endpoint)
        token = provider.current().value
        for text in (repr(provider), repr(endpoint), repr(self.grant_endpoint()), repr(provider.status())):
            self.assertNotIn(SECRET, text)
            self.assertNotIn(token, text)


class AuthorizationCodeTest(OAuthShopTest):
    lifetime = 3600.0

    def install(self) -> Token:
        """What an admin does: open the authorize URL, click Install, Shopify redirects back."""
        base = self.emulator.base_url
        page = requests.get(
            f"{base}/admin/oauth/authorize",
            params={
                "client_id": CLIENT_ID,
                "scope": "read_inventory,write_inventory",
                "redirect_uri": "https://erp.example.com/callback",
                "state": "s-123",
            },
            timeout=5,
        )
        self.assertEqual(page.status_code, 200)
        href = page.text.split("id='install' href='", 1)[1].split("'", 1)[0].replace("&amp;", "&")
        redirect = requests.get(base + href, allow_redirects=False, timeout=5)
        self.assertEqual(redirect.status_code, 302)
        location = urlsplit(redirect.headers["Location"])
        self.assertEqual(location.netloc, "erp.example.com")
        query = dict(parse_qsl(location.query))
        self.assertEqual(query["state"], "s-123")
        self.assertEqual(query["hmac"], query_hmac(query, SECRET))
        return exchange_authorization_code(self.grant_endpoint(), query["code"], clock=self.clock.now)

    def refresh_provider(self, store, post=None) -> RenewingProvider:
        kwargs = {"post": post} if post else {}
        grant = refresh_token_grant(
            self.grant_endpoint(), clock=self.clock.now, sleep=self.clock.sleep, **kwargs
        )
        return RenewingProvider(AUTHORIZATION_CODE, grant, store, clock=self.clock.now)

    def test_install_gives_an_expiring_offline_token_with_a_refresh_token(self):
        token = self.install()
        self.assertEqual(token.expires_at - token.issued_at, 3600.0)
        self.assertTrue(token.refresh_token)
        self.assertIsNotNone(token.refresh_expires_at)
        with self.assertRaises(AuthGrantError) as caught:  # a code works once
            exchange_authorization_code(self.grant_endpoint(), "used-or-unknown", clock=self.clock.now)
        self.assertEqual(caught.exception.code, "invalid_grant")

    def test_expiring_tokens_are_refreshed_and_the_refresh_token_rotates(self):
        store = MemoryTokenStore(self.install())
        provider = self.refresh_provider(store)
        endpoint = self.oauth_endpoint(provider)
        first_refresh = store.load().refresh_token
        self.shop_call(endpoint)
        self.assertEqual(self.emulator.oauth.grants["refresh_token"], 0)
        for _hour in range(3):
            self.clock.advance(3600)
            self.shop_call(endpoint)
        self.assertEqual(self.emulator.oauth.grants["refresh_token"], 3)
        self.assertNotEqual(store.load().refresh_token, first_refresh)
        # The first refresh token was retired once its replacement was used.
        status, body = self.emulator.oauth.token_request(
            f"client_id={CLIENT_ID}&client_secret={SECRET}&grant_type=refresh_token&refresh_token={first_refresh}".encode(),
            "application/x-www-form-urlencoded",
        )
        self.assertEqual((status, body["error"]), (400, "invalid_grant"))

    def test_a_refresh_whose_answer_was_lost_is_retried_with_the_same_refresh_token(self):
        store = MemoryTokenStore(self.install())
        lost = []

        def post_losing_the_first_answer(url, form, timeout):
            answer = requests.post(url, data=dict(form), timeout=timeout)
            if form.get("grant_type") == "refresh_token" and not lost:
                lost.append(form["refresh_token"])
                raise ConnectionFailed("the answer was cut off on the way")  # Shopify rotated anyway
            return answer.status_code, answer.text

        provider = self.refresh_provider(store, post=post_losing_the_first_answer)
        held = store.load().refresh_token
        self.clock.advance(3600)
        self.shop_call(self.oauth_endpoint(provider))
        self.assertEqual(lost, [held])
        self.assertEqual(
            self.emulator.oauth.grants["refresh_token"], 2, "rotated twice: the lost answer and the retry"
        )
        self.assertEqual(store.load().previous_refresh_token, held)

    def test_no_refresh_token_asks_for_an_install(self):
        provider = self.refresh_provider(MemoryTokenStore())
        with self.assertRaises(AuthGrantError) as caught:
            provider.current()
        self.assertIn("Install on Shopify", str(caught.exception))


class ExpiringTokenPushTest(OAuthShopTest):
    """A 7,300-row push while the token expires every 2 seconds of (virtual) time: every
    request moves the shared clock 0.3 s, so the run outlives several tokens. (Four calls in
    flight move it 1.2 s between a renewal and a repeated call's arrival: below a lifetime, as a
    real store's round trips are far below its token's hour.)

    Counts only, never time: how far the virtual clock got depends on how the four threads
    interleave (how many calls met an expired token and were sent again), which a loaded machine
    changes. What cannot change: every row lands once, and since each request moves the clock
    0.3 s, one 2 s token is accepted on at most 7 requests, so the accepted calls (30 batches at
    least) needed one grant per 7 of them."""

    items = 7300
    lifetime = 2.0
    calls_per_token = 7  # ceil(lifetime / virtual latency)

    def test_a_push_across_many_token_lifetimes_loses_no_row(self):
        self.emulator.virtual_latency = 0.3
        provider = self.provider()
        rows = self.warm_rows(quantity=lambda i, j: (i * 11 + j) % 70)
        result = sync_inventory(
            self.oauth_endpoint(provider),
            rows,
            # Wide real-time timeouts: a loaded machine slows the answers, not the virtual clock.
            options=SyncOptions(timeout=(10.0, 120.0)),
            clock=self.clock,
        )
        self.assertFalse(result.aborted, result.abort_reason)
        self.assertEqual(result.pushed, len(rows))
        self.assertEqual(result.failed, 0)
        self.assertEqual(result.accounted, len(rows), "every row in exactly one count")
        self.assertShopifyEquals(rows)
        oauth = self.emulator.oauth
        accepted = self.emulator.stats.calls - oauth.expired_rejections
        self.assertGreaterEqual(self.mutation_calls(), 30, "7,300 rows are 30 batches")
        self.assertGreaterEqual(provider.renewals, math.ceil(accepted / self.calls_per_token))
        self.assertGreaterEqual(provider.renewals, math.ceil(30 / self.calls_per_token))
        # Every renewal is one grant Shopify answered: none lost, none counted twice.
        self.assertEqual(oauth.grants["client_credentials"], provider.renewals)
        # Calls in flight when their token ran out met a 401 and were sent again once: each such
        # call is a renewal attempt at most (the first thread renews, the others use its token).
        self.assertLessEqual(oauth.expired_rejections, self.mutation_calls())


if __name__ == "__main__":
    unittest.main()
