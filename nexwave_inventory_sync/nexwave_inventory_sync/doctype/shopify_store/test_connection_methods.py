# Copyright (c) 2026, Nexwave and contributors
# For license information, please see license.txt
"""A store set up today (issue 16): client credentials, the authorization code's install and
callback, renewal across many token lifetimes and by two workers at once, the patch for stores
that had a pasted token, and no secret or token anywhere an admin or a log can see."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qsl, urlsplit

import frappe
import requests

from nexwave_inventory_sync.emulator import FakeClock, OAuthApp
from nexwave_inventory_sync.erpnext_side.connection import (
    store_endpoint,
    test_store_connection,
    token_provider,
)
from nexwave_inventory_sync.erpnext_side.constants import (
    AUTH_ACCESS_TOKEN,
    AUTH_AUTHORIZATION_CODE,
    AUTH_CLIENT_CREDENTIALS,
)
from nexwave_inventory_sync.erpnext_side.oauth_install import (
    InstallRefused,
    callback,
    complete_install,
    install_url,
)
from nexwave_inventory_sync.erpnext_side.store_sync import run_store_sync
from nexwave_inventory_sync.erpnext_side.store_tokens import StoreTokenStore
from nexwave_inventory_sync.patches.v0_3 import set_store_auth_method
from nexwave_inventory_sync.sync.api import redirect_hmac as query_hmac
from nexwave_inventory_sync.testing.compat import IntegrationTestCase
from nexwave_inventory_sync.testing.fixtures import (
    TOKEN,
    EmulatedShop,
    item,
    receive,
    warehouse,
)
from nexwave_inventory_sync.testing.stores import LOC1

CLIENT_ID = "f00dfeedc0ffee0123456789abcdef01"
SECRET = "shpss_bench_secret_never_shown_9a8b7c6d"


class ConnectionMethodMixin:
    domain = "oauth-shop.myshopify.com"
    own_organization = True

    def setUp(self):
        super().setUp()
        self.clock = FakeClock(start=1_000_000.0)
        self.app = OAuthApp(CLIENT_ID, SECRET, own_organization=self.own_organization)
        self.shop = EmulatedShop(self.domain, items=0, locations=1, oauth=self.app, clock=self.clock)
        self.shop.__enter__()
        self.addCleanup(self.shop.__exit__, None, None, None)
        self.oauth = self.shop.emulator.oauth
        tag = frappe.generate_hash(length=6)
        self.wh = warehouse(f"OAuth {tag}")

    def make_store(self, method=AUTH_CLIENT_CREDENTIALS, secret=SECRET, **extra) -> str:
        if frappe.db.exists("Shopify Store", self.domain):
            frappe.delete_doc("Shopify Store", self.domain, force=True, ignore_permissions=True)
        values = {"auth_method": method, **extra}
        if method == AUTH_ACCESS_TOKEN:
            values.setdefault("access_token", TOKEN)
        else:
            values.update(client_id=CLIENT_ID, client_secret=secret)
        doc = frappe.get_doc(
            {
                "doctype": "Shopify Store",
                "shop_domain": self.domain,
                "locations": [{"warehouse": self.wh, "shopify_location_id": "1"}],
                **values,
            }
        ).insert(ignore_permissions=True)
        # The token store commits on its own connection: leave nothing behind.
        self.addCleanup(StoreTokenStore(doc.name).forget)
        return doc.name

    def stored_token_row(self, name: str) -> str | None:
        # Committed by the token store's own connection, after this test's snapshot began.
        return StoreTokenStore(name).stored_ciphertext()

    def secrets_seen(self) -> set[str]:
        return {SECRET, CLIENT_ID, *self.oauth._tokens, *self.oauth._refresh}

    def approve(self, name: str) -> dict:
        """Install on Shopify as an admin does it: the authorize URL, the approval page's Install
        link, Shopify's redirect back. Returns the callback's query."""
        url = install_url(frappe.get_doc("Shopify Store", name))
        self.assertTrue(url.startswith(self.shop.emulator.base_url + "/admin/oauth/authorize?"))
        asked = dict(parse_qsl(urlsplit(url).query))
        self.assertEqual(asked["client_id"], CLIENT_ID)
        self.assertIn("write_inventory", asked["scope"])
        self.assertIn("oauth_install.callback", asked["redirect_uri"])
        page = requests.get(url, timeout=5)
        href = page.text.split("id='install' href='", 1)[1].split("'", 1)[0].replace("&amp;", "&")
        redirect = requests.get(self.shop.emulator.base_url + href, allow_redirects=False, timeout=5)
        back = urlsplit(redirect.headers["Location"])
        self.assertEqual(back.path, "/api/method/nexwave_inventory_sync.erpnext_side.oauth_install.callback")
        return dict(parse_qsl(back.query))

    def assertNoSecretIn(self, *texts) -> None:
        blob = "\n".join(json.dumps(t, default=str) if not isinstance(t, str) else t for t in texts)
        for secret in self.secrets_seen():
            self.assertNotIn(secret, blob)


class TestClientCredentials(ConnectionMethodMixin, IntegrationTestCase):
    def test_a_new_store_defaults_to_client_credentials_and_test_connection_says_so(self):
        doc = frappe.new_doc("Shopify Store")
        self.assertEqual(doc.auth_method, AUTH_CLIENT_CREDENTIALS)
        answer = test_store_connection(frappe.get_doc("Shopify Store", self.make_store()))
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["auth_method"], AUTH_CLIENT_CREDENTIALS)
        self.assertTrue(answer["renewable"])
        self.assertTrue(answer["token_expires_at"])
        self.assertEqual(self.oauth.grants["client_credentials"], 1)
        self.assertNoSecretIn(answer)

    def test_the_token_is_kept_encrypted_and_never_on_the_form(self):
        name = self.make_store()
        test_store_connection(frappe.get_doc("Shopify Store", name))
        raw = self.stored_token_row(name)
        (token,) = self.oauth._tokens
        self.assertNotIn(token, raw)
        self.assertEqual(StoreTokenStore(name).load().access_token, token)
        doc = frappe.get_doc("Shopify Store", name)
        self.assertNoSecretIn(doc.as_dict(), frappe.as_json(doc))
        # What the form loads (the page's data), onload included.
        from frappe.desk.form.load import getdoc

        getdoc("Shopify Store", name)
        self.assertNoSecretIn(frappe.as_json(frappe.response.get("docs")))
        self.assertFalse(frappe.get_meta("Shopify Store Token").permissions, "no role reads the token row")

    def test_fetch_locations_uses_the_renewed_token(self):
        doc = frappe.get_doc("Shopify Store", self.make_store())
        answer = doc.fetch_locations()
        self.assertIn(LOC1, [loc["id"] for loc in answer["locations"]])
        self.assertEqual(self.oauth.grants["client_credentials"], 1)

    def test_stays_connected_across_many_token_lifetimes(self):
        code = item("OAUTH-A")
        self.shop.catalog.add_variant(code)
        receive([(code, self.wh, 7)])
        name = self.make_store()
        for day in range(5):
            receive([(code, self.wh, 1)])
            log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
            self.assertEqual(log.status, "Success", log.error)
            self.assertEqual(self.shop.available(code, LOC1), 8 + day)
            # Day 1 got the store's first token, later days renewed the expired one: once a run.
            self.assertEqual(log.token_renewals, 1, f"day {day + 1}")
            self.clock.advance(86400)  # a day: Shopify's token has expired, ours thinks not
        # Day 1 got a token; days 2-5 met a 401, renewed once and repeated the call.
        self.assertEqual(self.oauth.grants["client_credentials"], 5)
        self.assertEqual(self.oauth.expired_rejections, 4)
        logs = frappe.get_all("Shopify Log", filters={"shopify_store": name}, fields=["*"])
        errors = frappe.get_all("Error Log", fields=["*"], order_by="creation desc", limit=20)
        self.assertNoSecretIn(logs, errors)

    def test_a_wrong_secret_is_said_in_words(self):
        answer = test_store_connection(
            frappe.get_doc("Shopify Store", self.make_store(secret="shpss_wrong_0000"))
        )
        self.assertFalse(answer["ok"])
        self.assertFalse(answer["renewable"])
        self.assertIn("Shopify refused the client ID or secret", answer["problems"][0])
        self.assertNotIn("shpss_wrong_0000", json.dumps(answer))
        self.assertNotIn("Traceback", json.dumps(answer))

    def test_a_run_without_a_token_fails_with_the_reason(self):
        code = item("OAUTH-B")
        self.shop.catalog.add_variant(code)
        receive([(code, self.wh, 3)])
        name = self.make_store(secret="shpss_wrong_0000")
        log = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertNotEqual(log.status, "Success")
        self.assertIn("Shopify refused the client ID or secret", log.error)
        self.assertNotIn("shpss_wrong_0000", log.error)

    def test_two_workers_renewing_at_once_renew_once(self):
        name = self.make_store()
        store = frappe.get_doc("Shopify Store", name)
        # Built here, used from threads: as the engine's batch threads use them.
        first, second = token_provider(store), token_provider(store)
        sent = [first.current(), second.current()]
        self.assertEqual(
            self.oauth.grants["client_credentials"], 1, "the second worker read the stored token"
        )
        self.oauth.expire_all()
        renewed, errors = {}, []
        barrier = threading.Barrier(2)

        def renew(key, provider, issued):
            try:
                barrier.wait()
                renewed[key] = provider.renew(issued.serial).value
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [
            threading.Thread(target=renew, args=(k, p, s))
            for k, p, s in (("first", first, sent[0]), ("second", second, sent[1]))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.oauth.grants["client_credentials"], 2, "one renewal for both workers")
        self.assertEqual(renewed["first"], renewed["second"])
        self.assertEqual(StoreTokenStore(name).load().access_token, renewed["first"])


class TestOtherOrganization(ConnectionMethodMixin, IntegrationTestCase):
    domain = "other-org-shop.myshopify.com"
    own_organization = False

    def test_client_credentials_on_another_organizations_store_points_to_the_authorization_code(self):
        answer = test_store_connection(frappe.get_doc("Shopify Store", self.make_store()))
        self.assertFalse(answer["ok"])
        self.assertIn("another organization", answer["problems"][0])
        self.assertIn("authorization code", answer["problems"][0])
        self.assertIn("shop_not_permitted", answer["problems"][0])


class TestAuthorizationCode(ConnectionMethodMixin, IntegrationTestCase):
    domain = "installed-shop.myshopify.com"
    own_organization = False

    def test_install_stores_an_expiring_token_that_renews(self):
        name = self.make_store(method=AUTH_AUTHORIZATION_CODE)
        query = self.approve(name)
        self.assertEqual(complete_install(query), name)
        stored = StoreTokenStore(name).load()
        self.assertTrue(stored.refresh_token)
        self.assertEqual(stored.expires_at - stored.issued_at, 3600)
        answer = test_store_connection(frappe.get_doc("Shopify Store", name))
        self.assertTrue(answer["ok"], answer)
        self.assertEqual(answer["auth_method"], AUTH_AUTHORIZATION_CODE)
        self.assertEqual(self.oauth.grants["refresh_token"], 1, "Test Connection renewed it")
        self.assertNotEqual(StoreTokenStore(name).load().refresh_token, stored.refresh_token)
        self.assertNoSecretIn(answer)

    def test_the_guest_callback_redirects_to_the_store(self):
        name = self.make_store(method=AUTH_AUTHORIZATION_CODE)
        self.assertIn(callback, frappe.guest_methods)
        query = self.approve(name)
        callback(**query)
        self.assertEqual(frappe.local.response["type"], "redirect")
        self.assertTrue(frappe.local.response["location"].endswith(name))
        self.assertIsNotNone(StoreTokenStore(name).load())

    def test_a_callback_failing_a_check_answers_400_and_changes_nothing(self):
        name = self.make_store(method=AUTH_AUTHORIZATION_CODE)
        query = self.approve(name)
        forged = {**query, "code": "attacker-code"}  # hmac no longer matches
        other_shop = {**query, "shop": "evil-shop.myshopify.com"}
        other_shop["hmac"] = query_hmac(other_shop, SECRET)  # signed, but not this store's shop
        not_shopify = {**query, "shop": "evil.example.com"}
        not_shopify["hmac"] = query_hmac(not_shopify, SECRET)
        unknown_state = {**query, "state": "never-issued"}
        unknown_state["hmac"] = query_hmac(unknown_state, SECRET)
        for params in (forged, other_shop, not_shopify, unknown_state, {**query, "hmac": ""}):
            with self.assertRaises(InstallRefused) as caught:
                complete_install(params)
            self.assertEqual(caught.exception.http_status_code, 400)
            self.assertIsNone(StoreTokenStore(name).load())
        self.assertEqual(self.oauth.grants["authorization_code"], 0)
        # The genuine callback still works once (the failed ones spent nothing), then not again.
        complete_install(query)
        with self.assertRaises(InstallRefused):
            complete_install(query)

    def test_a_store_not_yet_installed_says_how_to_install(self):
        answer = test_store_connection(
            frappe.get_doc("Shopify Store", self.make_store(method=AUTH_AUTHORIZATION_CODE))
        )
        self.assertFalse(answer["ok"])
        self.assertIn("Install on Shopify", answer["problems"][0])


class TestExistingStores(ConnectionMethodMixin, IntegrationTestCase):
    domain = "pasted-token-shop.myshopify.com"

    def test_a_store_given_only_a_token_connects_with_it(self):
        name = (
            frappe.get_doc(
                {
                    "doctype": "Shopify Store",
                    "shop_domain": self.domain,
                    "access_token": TOKEN,
                    "locations": [{"warehouse": self.wh, "shopify_location_id": "1"}],
                }
            )
            .insert(ignore_permissions=True)
            .name
        )
        doc = frappe.get_doc("Shopify Store", name)
        self.assertEqual(doc.auth_method, AUTH_ACCESS_TOKEN)
        answer = test_store_connection(doc)
        self.assertTrue(answer["ok"], answer)
        self.assertFalse(answer["renewable"])
        self.assertEqual(store_endpoint(doc).token_provider.method, "access_token")
        self.assertEqual(sum(self.oauth.grants.values()), 0)

    def test_the_patch_keeps_stores_saved_before_it_on_their_token(self):
        name = self.make_store(method=AUTH_ACCESS_TOKEN)
        # What the migration that added the column gave an existing row: the new default.
        frappe.db.set_value("Shopify Store", name, "auth_method", AUTH_CLIENT_CREDENTIALS)
        set_store_auth_method.execute()
        self.assertEqual(frappe.db.get_value("Shopify Store", name, "auth_method"), AUTH_ACCESS_TOKEN)
        self.assertTrue(test_store_connection(frappe.get_doc("Shopify Store", name))["ok"])


class TestSecretsNeverShown(ConnectionMethodMixin, IntegrationTestCase):
    """Grep for the secrets: no client secret, access token or refresh token in any Shopify Log,
    Error Log, run error, Test Connection answer or the form's data, even when a failure's
    message or its traceback's frames quote them (a proxy's error, a header dict)."""

    domain = "secret-grep-shop.myshopify.com"
    own_organization = False

    def leaky(self, name: str):
        """A failure whose message and frame quote every secret the store holds."""
        stored = StoreTokenStore(name).load()

        def fail(*args, **kwargs):
            headers = {
                "X-Shopify-Access-Token": stored.access_token,
                "form": f"client_secret={SECRET}&refresh_token={stored.refresh_token}",
            }
            raise RuntimeError(f"proxy refused {headers}")

        return fail

    def test_a_failing_sync_and_reconciliation_quote_no_secret(self):
        from unittest.mock import patch

        from nexwave_inventory_sync.erpnext_side import reconciliation, store_sync

        code = item("OAUTH-SECRET")
        self.shop.catalog.add_variant(code)
        receive([(code, self.wh, 4)])
        name = self.make_store(method=AUTH_AUTHORIZATION_CODE)
        complete_install(self.approve(name))
        answer = test_store_connection(frappe.get_doc("Shopify Store", name))
        self.assertTrue(answer["ok"], answer)
        good = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(good.status, "Success", good.error)
        self.assertEqual(good.token_renewals, 0, "Test Connection's token was still fresh")
        self.assertTrue(StoreTokenStore(name).load().refresh_token)
        before = frappe.get_all("Error Log", pluck="name")
        with patch.object(store_sync, "sync_inventory", side_effect=self.leaky(name)):
            failed = frappe.get_doc("Shopify Log", run_store_sync(name, trigger="Manual", force=True))
        self.assertEqual(failed.status, "Failed")
        self.assertIn("proxy refused", failed.error)
        with patch.object(reconciliation, "reconcile", side_effect=self.leaky(name)):
            record = reconciliation.run_store_reconciliation(name, trigger="Manual", force=True)
        new_errors = frappe.get_all(
            "Error Log", filters={"name": ["not in", before or [""]]}, fields=["error", "method"]
        )
        self.assertEqual(len(new_errors), 2, "one Error Log each for the sync and the reconciliation")
        from frappe.desk.form.load import getdoc

        getdoc("Shopify Store", name)
        logs = frappe.get_all("Shopify Log", filters={"shopify_store": name}, fields=["*"])
        recon = frappe.get_doc("Shopify Reconciliation", record).as_dict() if record else {}
        self.assertIn("proxy refused", json.dumps(recon, default=str))
        self.assertNoSecretIn(
            answer,
            good.as_json(),
            failed.as_json(),
            logs,
            new_errors,
            recon,
            frappe.as_json(frappe.response.get("docs")),
        )
