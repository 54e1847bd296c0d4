"""The SQL adapter's page cache on its own: fills, patches and the fill check."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from messenger.adapters.sqlalchemy.cache import ChatCache
from messenger.domain.model import Message

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def message(id_: int, text: str = "", chat_id: int = 1) -> Message:
    return Message(
        id=id_,
        chat_id=chat_id,
        sender_id=1,
        client_id=f"c{id_}",
        text=text or f"m{id_}",
        created_at=T0,
    )


def texts(found: list[Message] | None) -> list[str] | None:
    return None if found is None else [m.text for m in found]


def test_a_page_read_before_a_change_was_applied_is_not_kept() -> None:
    cache = ChatCache()
    cache.sync(10)
    token = cache.mark()
    cache.apply_message(message(3))  # a commit applied while the page was being read
    cache.put_newest(1, [message(1), message(2)], 3, token)
    assert cache.newest(1, 2) is None
    # A fill that started after it is kept.
    cache.put_newest(1, [message(1), message(2), message(3)], 4, cache.mark())
    assert texts(cache.newest(1, 3)) == ["m1", "m2", "m3"]


def test_a_change_to_another_chat_does_not_reject_a_fill() -> None:
    cache = ChatCache()
    cache.sync(10)
    mark = cache.mark()
    cache.apply_message(dataclasses.replace(message(3), chat_id=2))
    cache.put_newest(1, [message(1), message(2)], 3, mark)
    assert texts(cache.newest(1, 2)) == ["m1", "m2"]


def test_a_clear_rejects_fills_that_started_before_it() -> None:
    cache = ChatCache()
    cache.sync(10)
    token = cache.mark()
    cache.sync(11)
    cache.put_newest(1, [message(1)], 2, token)
    assert cache.newest(1, 1) is None


def test_applying_a_post_the_page_already_has_replaces_it() -> None:
    cache = ChatCache()
    cache.sync(10)
    cache.put_newest(1, [message(1), message(2)], 3, cache.mark())
    cache.apply_message(message(2, "m2 edited"))
    cache.apply_message(message(3))
    cache.apply_message(message(3))  # applied twice: still once
    assert texts(cache.newest(1, 3)) == ["m1", "m2 edited", "m3"]


def test_a_window_keeps_its_size_and_then_knows_older_ones_exist() -> None:
    cache = ChatCache()
    cache.sync(10)
    cache.put_newest(1, [message(1), message(2)], 3, cache.mark())
    assert texts(cache.newest(1, 5)) == ["m1", "m2"]  # the whole chat: complete
    cache.apply_message(message(3))
    cache.apply_message(message(4))
    assert texts(cache.newest(1, 3)) == ["m2", "m3", "m4"]
    assert cache.newest(1, 4) is None  # m1 fell out: the database must answer
