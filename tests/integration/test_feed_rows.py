"""Feed rows written before the feed had a storage form of its own read back from a real
database exactly as the events they were written for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from messenger.adapters.sqlalchemy import SqlAlchemyUnitOfWorkFactory, create_engine
from messenger.adapters.sqlalchemy.tables import feed, feed_head
from tests.integration.conftest import empty_mariadb
from tests.unit.test_contract import EVENTS, ROWS_BEFORE

SUBJECT = 1  # the rows are "about" this user, so the feed shows them without a membership


@pytest.mark.parametrize("backend", ["sqlite", "mariadb"])
async def test_rows_of_the_old_payload_format_are_read_as_their_events(
    request: pytest.FixtureRequest, backend: str
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    if backend == "mariadb":
        empty_mariadb(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                feed.insert(),
                [
                    {
                        "position": position,
                        "chat_id": None,
                        "subject_user_id": SUBJECT,
                        "type": event.type,
                        "message_id": None,
                        "sender_id": None,
                        "payload": row,
                        "created_at": datetime(2026, 3, 4, tzinfo=UTC),
                    }
                    for position, (row, event) in enumerate(
                        zip(ROWS_BEFORE, EVENTS, strict=True), start=1
                    )
                ],
            )
            await conn.execute(
                sa.update(feed_head).where(feed_head.c.id == 1).values(position=len(EVENTS))
            )
        async with SqlAlchemyUnitOfWorkFactory(engine)(read_only=True) as uow:
            entries = await uow.feed.since(SUBJECT, 0, len(EVENTS), 100)
    finally:
        await engine.dispose()

    assert [e.position for e in entries] == list(range(1, len(EVENTS) + 1))
    assert [e.event for e in entries] == EVENTS
