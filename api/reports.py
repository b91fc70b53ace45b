"""The regulator's reports on the API: large traders with position accountability, and the
audit trail (their command lines: api/report_commands.py).

Both are rebuilt from events, never from a second bookkeeping: the large-trader report from
the fills the order store folds (the live server's own store, or one rebuilt by replaying a
journal: the same function on the same kind of data, so the two agree), the audit trail from
a replay of the journal, which holds every command the venue was given (received ones,
rejected ones too). docs/regulation.md says what each holds and which rule it follows; the
reports themselves are api/large_traders.py and api/audit_trail.py, the journal's replay
api/journal_replay.py.

    GET /v1/admin/reports/large-traders?date=D[&format=csv][&level=SIT:25][&accountability=SIT:500]
    GET /v1/admin/reports/audit?account=&symbol=&from=&to=&after=&limit=
"""

from __future__ import annotations

import asyncio
import pickle
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import FastAPI, Query, Response

from api.audit_trail import AuditFilter, audit, parse_time
from api.errors import ApiError
from api.large_traders import (
    Levels,
    contracts_of,
    large_traders,
    large_traders_csv,
    parse_levels,
)
from clearing.reasons import Reason

if TYPE_CHECKING:
    from api.service import Service


def install(app: FastAPI, service: Service, admin, problems: dict) -> None:
    """GET /v1/admin/reports/large-traders and /v1/admin/reports/audit (admin key); `problems`:
    the error answers every route documents (RFC 9457)."""
    json_or_csv = {200: {"description": "the report", "content": {"application/json": {},
                                                                   "text/csv": {}}}}
    try:  # a pristine copy of the gate, before the journal is replayed: the audit replays it
        pristine = pickle.dumps(service.venue.gate)
    except (pickle.PicklingError, TypeError, AttributeError):
        pristine = None

    @app.get("/v1/admin/reports/large-traders", tags=["admin"], dependencies=[admin],
             responses=json_or_csv | problems)
    async def large_trader_report(
            date_: Annotated[date | None, Query(alias="date", description="UTC day, YYYY-MM-DD (default: today)")] = None,
            format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
            level: Annotated[list[str] | None, Query(description="PRODUCT:LOTS reportable level")] = None,
            accountability: Annotated[list[str] | None, Query(description="PRODUCT:LOTS")] = None):
        """Large traders of one day, per contract (docs/regulation.md)."""
        await service.settled()
        contracts = contracts_of(service.venue)
        try:
            levels = Levels(parse_levels(level or (), ":"), parse_levels(accountability or (), ":"))
            levels.check(contracts)
        except ValueError as exc:
            raise ApiError(422, Reason.INVALID_COMMAND, str(exc)) from None
        day = date_ or datetime.now(UTC).date()
        report = large_traders(service.store, contracts, day, levels)
        if format == "csv":
            return Response(large_traders_csv(report), media_type="text/csv")
        return report

    @app.get("/v1/admin/reports/audit", tags=["admin"], dependencies=[admin], responses=problems)
    async def audit_report(
            account: str | None = None, symbol: str | None = None,
            from_: Annotated[str | None, Query(alias="from", description="ns or ISO 8601")] = None,
            to: Annotated[str | None, Query(description="ns or ISO 8601, exclusive")] = None,
            after: Annotated[int, Query(ge=0, description="rows already read: the next page starts after them")] = 0,
            limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict:
        """The audit trail rebuilt by replaying the journal: every order event with its journal
        position, sequence number and time. Page with `after` = the `next` of the last page."""
        if service.journal_path is None:
            raise ApiError(409, Reason.NO_JOURNAL,
                           "the audit trail is rebuilt from the journal: start the server with --journal")
        if pristine is None:
            raise ApiError(409, Reason.GATE_NOT_COPYABLE,
                           "the audit trail replays the journal from a copy of this server's risk gate "
                           "(--gate), and it cannot be pickled")
        try:
            keep = AuditFilter(account, symbol, parse_time(from_), parse_time(to))
        except ValueError as exc:
            raise ApiError(422, Reason.INVALID_COMMAND, str(exc)) from None

        def page() -> tuple[list[dict], bool]:
            rows = []
            for i, row in enumerate(audit(service.journal_path, pickle.loads(pristine), keep)):
                if i >= after + limit:
                    return rows, True
                if i >= after:
                    rows.append(row)
            return rows, False

        rows, more = await asyncio.to_thread(page)
        return {"rows": rows, "next": after + len(rows) if more else None}
