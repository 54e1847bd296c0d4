"""The audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.adapters.sqlalchemy.session import SqlSession
from messenger.adapters.sqlalchemy.tables import audit_log
from messenger.domain.audit import AuditAction, AuditEntry

_ENTRIES = select_entity(audit_log, AuditEntry)


class SqlAlchemyAuditLog:
    def __init__(self, db: SqlSession) -> None:
        self._db = db

    async def record(self, entry: AuditEntry) -> None:
        await self._db.write(audit_log.insert().values(values_of(entry, without=("id",))))

    async def page(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        actor_id: int | None = None,
        action: AuditAction | None = None,
    ) -> list[AuditEntry]:
        stmt = _ENTRIES.order_by(audit_log.c.id.desc()).limit(limit)
        if before_id is not None:
            stmt = stmt.where(audit_log.c.id < before_id)
        if actor_id is not None:
            stmt = stmt.where(audit_log.c.actor_id == actor_id)
        if action is not None:
            stmt = stmt.where(audit_log.c.action == action)
        return [AuditEntry(*r) for r in await self._db.read(stmt)]

    async def prune(self, older_than: datetime, limit: int) -> int:
        # Ids first, then a delete by primary key: MySQL cannot delete with a LIMIT from a
        # subquery of the same table, and this keeps each batch's locks to its own rows.
        stmt = (
            sa.select(audit_log.c.id)
            .where(audit_log.c.at < older_than)
            .order_by(audit_log.c.id)
            .limit(limit)
        )
        ids = [int(r[0]) for r in await self._db.read(stmt)]
        if ids:
            await self._db.write(audit_log.delete().where(audit_log.c.id.in_(ids)))
        return len(ids)
