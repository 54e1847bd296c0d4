"""Members' reports of messages."""

from __future__ import annotations

import dataclasses

from messenger.adapters.sqlalchemy.repositories.rows import new_id, select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import reports
from messenger.domain.moderation import Report, ReportStatus

_REPORTS = select_entity(reports, Report)


class SqlAlchemyReportRepository:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def add(self, report: Report) -> Report:
        result = await self._db.write(reports.insert().values(values_of(report, without=("id",))))
        return dataclasses.replace(report, id=new_id(result))

    async def get(self, report_id: int) -> Report | None:
        row = (await self._db.read(_REPORTS.where(reports.c.id == report_id))).first()
        return Report(*row) if row else None

    async def open_of(self, reporter_id: int, message_id: int) -> Report | None:
        stmt = _REPORTS.where(
            reports.c.message_id == message_id,
            reports.c.reporter_id == reporter_id,
            reports.c.resolution.is_(None),
        ).limit(1)
        row = (await self._db.read(stmt)).first()
        return Report(*row) if row else None

    async def update(self, report: Report) -> None:
        stmt = reports.update().where(reports.c.id == report.id)
        await self._db.write(stmt.values(values_of(report, without=("id",))))

    async def page(
        self, *, limit: int, before_id: int | None = None, status: ReportStatus | None = None
    ) -> list[Report]:
        stmt = _REPORTS.order_by(reports.c.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(reports.c.id < before_id)
        if status is ReportStatus.OPEN:
            stmt = stmt.where(reports.c.resolution.is_(None))
        elif status is ReportStatus.RESOLVED:
            stmt = stmt.where(reports.c.resolution.is_not(None))
        return [Report(*r) for r in await self._db.read(stmt)]
