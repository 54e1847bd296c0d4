"""Moderation and the audit log: ``POST /messages/{id}/report`` (members), and under
``/admin`` (server administrators only, 403 ``forbidden`` to others): reports, removing any
message, the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter

from messenger.contract import shapes
from messenger.contract.wire import Wire
from messenger.domain.model import AccessClaims
from messenger.domain.moderation import ReportStatus, Resolution
from messenger.domain.service import Messenger
from messenger.entrypoints.http.deps import BEARER, client_address
from messenger.entrypoints.http.reactions import MessageId
from messenger.entrypoints.http.schemas import MAX_ID, Page, PageCursor, PageLimit


class ReportIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # 1..1000 characters once trimmed: the domain checks it (validation_error on reason).
    reason: str


class ResolveIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    action: Literal["dismiss", "delete_message", "deactivate_user"]


class ReportList(Page[shapes.Report]):
    """A page of reports, newest first."""


class AuditList(Page[shapes.AuditEntry]):
    """A page of the audit log, newest first."""


@post(
    "/messages/{message_id:int}/report",
    status_code=201,
    summary="Report a message to the server's administrators",
    description=(
        "`reason`: 1-1000 characters. 201 with the new report; reporting a message again "
        "while your report of it is open answers that report with 200. A message you do "
        "not see (also one you hid or cleared) is 404 `not_found`; a deleted one is 403."
    ),
    opt={"problems": (403,)},
    tags=["messages"],
)
async def report_message(
    message_id: MessageId,
    data: JSONBody[ReportIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> Response[shapes.Report]:
    reported = await messenger.report_message(claims.user_id, message_id, data.reason)
    return Response(wire.report(reported.view), status_code=201 if reported.created else 200)


@get("/admin/reports", summary="A page of members' reports, newest first", opt={"problems": (403,)})
async def list_reports(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    status: Annotated[
        Literal["open", "resolved"] | None, QueryParameter(description="Only these reports.")
    ] = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> ReportList:
    page = await messenger.list_reports(
        claims.user_id,
        status=None if status is None else ReportStatus(status),
        limit=limit,
        cursor=cursor,
    )
    return ReportList.of(page, [wire.report(v) for v in page.items])


@post(
    "/admin/reports/{report_id:int}/resolve",
    status_code=200,
    summary="Resolve a report: dismiss it, delete its message, or deactivate its sender",
    description=(
        "`delete_message` deletes the message for everyone (a tombstone with "
        "`removed_by_admin`); `deactivate_user` deactivates the message's sender (sessions "
        "end, sockets close). A report already resolved is 409 `conflict`."
    ),
    opt={"problems": (403, 404, 409)},
)
async def resolve_report(
    request: Request[Any, Any, Any],
    report_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
    data: JSONBody[ResolveIn],
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
) -> shapes.Report:
    view = await messenger.resolve_report(
        claims.user_id, report_id, Resolution(data.action), address=client_address(request)
    )
    return wire.report(view)


@delete(
    "/admin/messages/{message_id:int}",
    status_code=204,
    summary="Delete any message for everyone, as an administrator",
    description=(
        "The members who see it get `message_deleted` with `removed_by_admin: true`; "
        "deleting a deleted message changes nothing. An unknown message is 404."
    ),
    opt={"problems": (403, 404)},
)
async def remove_message(
    request: Request[Any, Any, Any],
    message_id: MessageId,
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
) -> None:
    await messenger.remove_message(claims.user_id, message_id, address=client_address(request))


@get("/admin/audit", summary="A page of the audit log, newest first", opt={"problems": (403,)})
async def list_audit_log(
    messenger: NamedDependency[Messenger],
    claims: NamedDependency[AccessClaims],
    wire: NamedDependency[Wire],
    actor: Annotated[
        int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this user's actions.")
    ] = None,
    action: Annotated[
        str | None,
        QueryParameter(max_length=32, description="Only this action (`login_failed`, ...)."),
    ] = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> AuditList:
    page = await messenger.list_audit_log(
        claims.user_id, actor_id=actor, action=action, limit=limit, cursor=cursor
    )
    return AuditList.of(page, [wire.audit_entry(r) for r in page.items])


def moderation_router() -> Router:
    """Reporting a message, and the moderation and audit routes under ``/admin``."""
    return Router(
        path="/",
        route_handlers=[
            report_message,
            list_reports,
            resolve_report,
            remove_message,
            list_audit_log,
        ],
        security=BEARER,
        tags=["admin"],
    )
