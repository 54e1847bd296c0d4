"""The SQL adapter builds entities from rows positionally: its selects follow field order."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa

from messenger.adapters.sqlalchemy import tables
from messenger.adapters.sqlalchemy.repositories.rows import select_entity, values_of
from messenger.domain.model import (
    Attachment,
    Chat,
    ChatKind,
    ForwardedFrom,
    Membership,
    Message,
    MessageEdit,
    RefreshToken,
    Role,
    Session,
    StoredFile,
    User,
)

ENTITIES = [
    (tables.users, User),
    (tables.chats, Chat),
    (tables.memberships, Membership),
    (tables.messages, Message),
    (tables.message_edits, MessageEdit),
    (tables.sessions, Session),
    (tables.refresh_tokens, RefreshToken),
    (tables.files, StoredFile),
]


def _attachment(file_id: str) -> Attachment:
    # From the fields Attachment has: whether it carries a url is the event contract's call.
    known: dict[str, Any] = {
        "id": file_id,
        "name": "a.pdf",
        "content_type": "application/pdf",
        "size": 3,
        "url": f"/files/{file_id}",
        "width": 640,
        "height": 480,
        "thumbnail_id": f"{file_id}-thumb",
    }
    return Attachment(**{f.name: known[f.name] for f in dataclasses.fields(Attachment)})


@pytest.mark.parametrize(("table", "entity"), ENTITIES, ids=lambda x: getattr(x, "__name__", ""))
def test_an_entity_select_lists_the_columns_in_field_order(
    table: sa.Table, entity: type[Any]
) -> None:
    derived = getattr(entity, "DERIVED", ())
    selected = [c.name for c in select_entity(table, entity, derived=derived).selected_columns]

    assert selected == [f.name for f in dataclasses.fields(entity) if f.name not in derived]
    # Views made when reading come last, so that a row of the columns builds the entity.
    assert [f.name for f in dataclasses.fields(entity)][len(selected) :] == list(derived)


def test_a_field_without_a_column_fails_when_the_select_is_built() -> None:
    @dataclasses.dataclass
    class Stray:
        id: int
        colour: str

    with pytest.raises(KeyError):
        select_entity(tables.users, Stray)


def test_values_are_the_fields_by_name_without_the_ones_left_out() -> None:
    now = datetime.now(UTC)
    message = Message(7, 1, 2, "c1", "hi", now, attachments=(_attachment("f"),))

    values = values_of(message, without=("id",))

    assert values == {
        f.name: getattr(message, f.name) for f in dataclasses.fields(Message) if f.name != "id"
    }


def test_a_forward_source_column_stores_it_and_reads_it_back() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    column = tables.messages.c.forwarded_from.type
    assert isinstance(column, tables.ForwardJSON)
    sent = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    for source in (ForwardedFrom(4, 2, sent), ForwardedFrom(None, 2, sent)):
        stored = column.process_bind_param(source, dialect)
        assert isinstance(stored, str)
        assert column.process_result_value(stored, dialect) == source
    assert column.process_bind_param(None, dialect) is None
    assert column.process_result_value(None, dialect) is None


def test_enum_and_attachment_columns_store_values_and_read_back_the_domain_types() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    kind = tables.chats.c.kind.type
    role = tables.memberships.c.role.type
    attachments = tables.messages.c.attachments.type
    assert isinstance(kind, tables.EnumString)
    assert isinstance(role, tables.EnumString)
    assert isinstance(attachments, tables.AttachmentsJSON)
    files = (_attachment("f1"),)

    assert kind.process_bind_param(ChatKind.GROUP, dialect) == "group"
    assert kind.process_result_value("group", dialect) is ChatKind.GROUP
    assert role.process_result_value("admin", dialect) is Role.ADMIN
    stored = attachments.process_bind_param(files, dialect)
    assert isinstance(stored, str)
    assert attachments.process_result_value(stored, dialect) == files
    # No attachments are stored as NULL, and NULL reads back as none.
    assert attachments.process_bind_param((), dialect) is None
    assert attachments.process_result_value(None, dialect) == ()


def test_the_attachment_column_has_its_own_layout_and_reads_rows_written_with_urls() -> None:
    dialect = sa.create_engine("sqlite://").dialect
    column = tables.AttachmentsJSON()
    stored = column.process_bind_param(
        (Attachment(id="f1", name="a.txt", content_type="text/plain", size=3),), dialect
    )
    assert stored is not None
    assert msgspec.json.decode(stored) == [
        {"id": "f1", "name": "a.txt", "content_type": "text/plain", "size": 3}
    ]
    # As the column held it before file URLs were made at the edge.
    old = (
        '[{"id":"f1","name":"a.txt","content_type":"text/plain","size":3,"url":"/api/v1/files/f1"}]'
    )
    assert column.process_result_value(old, dialect) == (
        Attachment(id="f1", name="a.txt", content_type="text/plain", size=3),
    )
