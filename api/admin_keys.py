"""The admin endpoints of API keys: create one for an account, list them (never a secret),
revoke one (at once: REST answers 401 from the next request on, and the WebSocket sessions
that authenticated with it are closed)."""

from __future__ import annotations

import time

from fastapi import APIRouter

from api import wire
from api.errors import ApiError
from api.keys import KeyStore
from clearing.reasons import Reason, Rejection


def key_routes(service, keys: KeyStore, sessions, admin, responses) -> APIRouter:
    """`admin`: the admin-key dependency; `sessions`: the open WebSocket sessions by key."""
    router = APIRouter(tags=["admin"], dependencies=[admin], responses=responses)

    def account(account_id: str) -> str:
        if account_id not in service.accounts:
            raise Rejection(Reason.UNKNOWN_ACCOUNT, f"no account {account_id!r}")
        return account_id

    @router.post("/v1/admin/accounts/{account_id}/keys", status_code=201,
                 response_model=wire.KeyCreated)
    async def create_key(account_id: str, body: wire.KeyCreate | None = None):
        """Another key for the account: its scope (`trade` or `read`), a label, an optional
        expiry, and whether its requests must be signed. The key (and a signed key's secret)
        is shown only in this answer."""
        body = body or wire.KeyCreate()
        now = time.time_ns()
        if body.expires_at is not None and body.expires_at <= now:
            raise ApiError(422, Reason.INVALID_COMMAND, "expires_at is not in the future")
        record, key = keys.create(account(account_id), now, body.scope, body.label,
                                  body.expires_at, body.signed)
        return record.view(now) | {"api_key": key, "api_secret": record.secret}

    @router.get("/v1/admin/accounts/{account_id}/keys", response_model=list[wire.KeyView])
    async def list_keys(account_id: str):
        """The account's keys, revoked and expired ones too; never a key, hash or secret."""
        now = time.time_ns()
        return [k.view(now) for k in keys.of_account(account(account_id))]

    @router.delete("/v1/admin/accounts/{account_id}/keys/{key_id}", response_model=wire.KeyView)
    async def revoke_key(account_id: str, key_id: str):
        """Revoke a key at once; its open WebSocket sessions are closed (1008)."""
        record = keys.get(key_id)
        if record is None or record.account != account(account_id):
            raise ApiError(404, Reason.UNKNOWN_API_KEY, f"no key {key_id!r} in account {account_id!r}")
        now = time.time_ns()
        record = keys.revoke(key_id, now)
        sessions.end(key_id, Reason.API_KEY_REVOKED)
        return record.view(now)

    return router
