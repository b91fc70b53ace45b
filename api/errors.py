"""RFC 9457 problem+json for every error the API answers.

A venue rejection keeps its stable reason code: `type` is `Reason.problem_type`, `code` is the
Reason's name. Malformed requests (schema violations, bad JSON) are 4xx with code
INVALID_COMMAND and a sentence naming the bad field; the framework's own refusals (no such
route, a method the route does not take) have the API's codes (6xxx: NOT_FOUND,
METHOD_NOT_ALLOWED with the path's every method in `Allow`...); no error path answers a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from api.wire import DECIMAL_PATTERN
from clearing.reasons import Reason, Rejection

PROBLEM_JSON = "application/problem+json"

_STATUS_BY_REASON = {
    Reason.UNKNOWN_SYMBOL: 404,
    Reason.UNKNOWN_ACCOUNT: 404,
    Reason.UNKNOWN_ORDER: 404,
    Reason.NOT_ORDER_OWNER: 404,  # never confirm that someone else's order exists
    Reason.ACCOUNT_EXISTS: 409,
    Reason.DUPLICATE_CLIENT_ORDER_ID: 409,
    Reason.PAYLOAD_TOO_LARGE: 413,
    Reason.INVALID_API_KEY: 401,
    Reason.API_KEY_REVOKED: 401,
    Reason.API_KEY_EXPIRED: 401,
    Reason.INVALID_SIGNATURE: 401,
    Reason.STALE_REQUEST: 401,
    Reason.REPLAYED_REQUEST: 401,
    Reason.INSUFFICIENT_SCOPE: 403,
    Reason.ADMIN_ONLY: 403,
    Reason.RATE_LIMITED: 429,
    Reason.IDEMPOTENCY_KEY_IN_USE: 409,
    Reason.UNKNOWN_API_KEY: 404,
    Reason.UNAUTHENTICATED: 401,
    Reason.FORBIDDEN: 403,
    Reason.NOT_FOUND: 404,
    Reason.METHOD_NOT_ALLOWED: 405,
    Reason.SERVICE_UNAVAILABLE: 503,
    Reason.WRONG_INDEX_SOURCE: 409,
    Reason.NO_JOURNAL: 409,
    Reason.GATE_NOT_COPYABLE: 409,
    Reason.UNKNOWN_CHANNEL: 404,
}
# access (6xxx) not listed above: JSON_TOO_DEEP, INVALID_ENCODING, IDEMPOTENCY_KEY_REUSED
_STATUS_BY_SUBSYSTEM = {1: 400, 2: 422, 3: 409, 4: 422, 5: 409, 6: 422}


def http_status(reason: Reason) -> int:
    return _STATUS_BY_REASON.get(reason, _STATUS_BY_SUBSYSTEM[reason.value // 1000])


def problem(reason: Reason, detail: str, status: int | None = None, headers=None) -> JSONResponse:
    status = http_status(reason) if status is None else status
    body = {"type": reason.problem_type, "title": reason.sentence, "status": status,
            "detail": detail, "code": reason.name}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class ApiError(Exception):
    """An HTTP-level refusal (auth, rate limit, not found) with a reason code."""

    def __init__(self, status: int, reason: Reason, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.reason, self.detail, self.headers = status, reason, detail, headers


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _message(e: dict) -> str:
    """pydantic's sentence, except a decimal field's: "String should match pattern '^-?[0-9]..."
    told a person typing a price into the dashboard nothing they could act on."""
    if e.get("type") == "string_pattern_mismatch" and (e.get("ctx") or {}).get("pattern") == DECIMAL_PATTERN:
        return f"expected a decimal number such as 2.010, got {e.get('input')!r}"
    return e.get("msg", "invalid")


def describe_validation(errors) -> str:
    return "; ".join(f"{_field(e.get('loc', ()))}: {_message(e)}" for e in errors[:5])


def install(app: FastAPI) -> None:
    """Route every error through `problem`."""

    @app.exception_handler(Rejection)
    async def _rejection(request: Request, exc: Rejection):
        return problem(exc.reason, exc.text)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return problem(exc.reason, exc.detail, exc.status, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem(Reason.INVALID_COMMAND, describe_validation(exc.errors()), 422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        reason = _REASON_BY_STATUS.get(exc.status_code, Reason.INVALID_COMMAND)
        headers = exc.headers
        methods = allowed_methods(request) if exc.status_code == 405 else None
        if methods:  # (else a mounted app's own 405, with its own Allow)
            headers = dict(headers or {}, Allow=", ".join(methods))
        return problem(reason, str(exc.detail), exc.status_code, headers)


# the framework's refusals (starlette's HTTPException) by status; the rest are INVALID_COMMAND
_REASON_BY_STATUS = {401: Reason.UNAUTHENTICATED, 403: Reason.FORBIDDEN, 404: Reason.NOT_FOUND,
                     405: Reason.METHOD_NOT_ALLOWED, 413: Reason.PAYLOAD_TOO_LARGE,
                     429: Reason.RATE_LIMITED}
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path. Starlette's own 405 names the methods of
    the first route that matched the path only, but a path is often several routes (GET, POST
    and DELETE /v1/orders are three). A mounted app (the dashboard's files) answers its 405
    itself, with its own Allow."""
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    return [m for m in _METHODS
            if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes)]
