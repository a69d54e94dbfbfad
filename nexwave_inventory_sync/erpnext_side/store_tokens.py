"""A store's renewable token, kept encrypted and shared by every worker: the engine's
TokenStore (sync/auth.py) on the site's database.

What is kept: the access token, its refresh token (authorization code), the refresh token
before it, and their expiries, as one JSON text encrypted with the site's key (Frappe's
Fernet, as Password fields are) in a Shopify Store Token row named as the store. It is not a
field of the store's form: a form save never overwrites it, no page shows it, no role may read
the row, and deleting the store deletes it. Not `__Auth`: the form's own transaction writes the
store's passwords there, and a renewal on another connection would wait on its locks.

Why a connection of its own: the engine renews from its worker threads, where Frappe's
thread-bound `frappe.db` is not available, and a renewed token must be committed at once, not
with the run's transaction (a run that fails and rolls back must not take the new refresh token
with it: Shopify has already retired the one before). Why `GET_LOCK`: it is held by the
connection, not by a transaction, so two workers renewing the same store's token queue on it
and the second reads the token the first committed instead of renewing again; it is released
when its connection ends, so a killed worker never keeps it. MariaDB only (as the app).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import frappe
from frappe.utils.password import decrypt, encrypt, get_encryption_key

from ..sync.api import Token

TOKEN_DOCTYPE = "Shopify Store Token"
_TABLE = f"`tab{TOKEN_DOCTYPE}`"
LOCK_WAIT_S = 30  # a renewal is one HTTP call; a worker waits this long for another's


class TokenStoreError(Exception):
    pass


MASK = "********"
_MIN_SECRET = 8  # shorter values are not secrets worth masking, and would mask ordinary words


def store_secrets(store) -> list[str]:
    """Every secret of a store a message could quote: the pasted access token, the app's client
    secret, and the renewed access token with its refresh tokens (current and previous)."""
    values = [store.get_password(f, raise_exception=False) for f in ("access_token", "client_secret")]
    try:
        token = StoreTokenStore(store.name).load()
    except Exception:  # masking must never fail the error path that called it
        token = None
    if token is not None:
        values += [token.access_token, token.refresh_token, token.previous_refresh_token]
    # Longest first: a secret that contains another is masked whole.
    return sorted({v for v in values if v and len(v) >= _MIN_SECRET}, key=len, reverse=True)


def mask_secrets(text: str, store) -> str:
    """`text` with every secret of the store replaced by ********."""
    for secret in store_secrets(store):
        text = text.replace(secret, MASK)
    return text


def _driver_connect(settings: dict):
    """The driver frappe.db uses: PyMySQL on Frappe 15, mysqlclient (MySQLdb) on Frappe 16 (its
    settings carry `multi_statements`, which PyMySQL refuses)."""
    conn = getattr(frappe.db, "_conn", None)
    if (conn is not None and type(conn).__module__.startswith("MySQLdb")) or "multi_statements" in settings:
        import MySQLdb

        return MySQLdb.connect
    import pymysql

    return pymysql.connect


class StoreTokenStore:
    """sync.auth.TokenStore for one store. Build it in a request or job (it reads the site's
    connection settings and key there); use it from any thread."""

    def __init__(self, store_name: str):
        self.store_name = store_name
        self._settings = dict(frappe.db.get_connection_settings())
        self._connect_to_db = _driver_connect(self._settings)
        self._key = get_encryption_key()
        # GET_LOCK names are server-wide and at most 64 characters: the site and store, hashed.
        where = f"{frappe.local.site}:{store_name}".encode()
        self._lock_name = "nexwave_shopify_token:" + hashlib.sha1(where).hexdigest()
        self._local = threading.local()  # the connection a thread holds the lock on
        self._guard = threading.RLock()

    def __repr__(self) -> str:
        return f"StoreTokenStore({self.store_name!r})"

    # -- the TokenStore protocol -----------------------------------------------------------
    def load(self) -> Token | None:
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.execute(f"select `token_state` from {_TABLE} where `name`=%s", (self.store_name,))
            row = cursor.fetchone()
        if not row or not row[0]:
            return None
        try:
            return Token.from_json(decrypt(row[0], self._key))
        except Exception:
            # A key changed since it was written: as good as no token (a grant gets a new one).
            return None

    def stored_ciphertext(self) -> str | None:
        """The row as the database holds it (tests check it is not readable)."""
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.execute(f"select `token_state` from {_TABLE} where `name`=%s", (self.store_name,))
            row = cursor.fetchone()
        return row[0] if row else None

    def save(self, token: Token) -> None:
        self._write(encrypt(token.to_json(), self._key))

    def forget(self) -> None:
        """Drop the stored token (the store's method or app changed)."""
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.execute(f"delete from {_TABLE} where `name`=%s", (self.store_name,))
            conn.commit()

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._guard:
            conn = self._connect()
            self._local.conn = conn
            try:
                with conn.cursor() as cursor:
                    cursor.execute("select get_lock(%s, %s)", (self._lock_name, LOCK_WAIT_S))
                    got = cursor.fetchone()
                if not got or got[0] != 1:
                    raise TokenStoreError(
                        f"another worker held the token lock of {self.store_name} for {LOCK_WAIT_S} s"
                    )
                try:
                    yield
                finally:
                    with conn.cursor() as cursor:
                        cursor.execute("select release_lock(%s)", (self._lock_name,))
            finally:
                self._local.conn = None
                conn.close()

    # -- connections -----------------------------------------------------------------------
    def _connect(self):
        conn = self._connect_to_db(**self._settings)
        with conn.cursor() as cursor:
            # Fail in seconds, not the server's 50, if a row lock is ever in the way.
            cursor.execute("set session innodb_lock_wait_timeout = 10")
        return conn

    @contextmanager
    def _connection(self):
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _write(self, ciphertext: str) -> None:
        with self._connection() as conn, conn.cursor() as cursor:
            cursor.execute(
                f"insert into {_TABLE} (`name`, `token_state`, `creation`, `modified`, `owner`, "
                "`modified_by`, `docstatus`, `idx`) values (%s, %s, now(6), now(6), 'Administrator', "
                "'Administrator', 0, 0) on duplicate key update `token_state`=values(`token_state`), "
                "`modified`=values(`modified`)",
                (self.store_name, ciphertext),
            )
            conn.commit()
