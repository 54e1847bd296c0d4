"""Many concurrent writers against a reader that keeps syncing: every event exactly once."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from messenger.adapters.memory import TickingClock
from messenger.embedded import in_memory


async def _run(writers: int, posts: int, page: int) -> None:
    app = in_memory(clock=TickingClock())
    reader = (await app.register("reader", "password-123")).user.id
    authors = [(await app.register(f"writer{i}", "password-123")).user.id for i in range(writers)]
    group = await app.create_group(reader, "all", authors)
    dialogs = [(await app.open_dialog(reader, a))[0].chat.id for a in authors]
    start = (await app.get_changes_since(reader, None)).cursor
    done = asyncio.Event()
    seen: list[int] = []

    async def write(i: int) -> None:
        for n in range(posts):
            chat = group.chat.id if n % 2 else dialogs[i]
            await app.post_message(authors[i], chat, f"{i}-{n}", f"message {n}")
            if n % 3 == 0:
                await app.mark_read(
                    authors[i], chat, (await app.list_chats(authors[i])).items[0].last_message.id
                )  # type: ignore[union-attr]
            await asyncio.sleep(0)

    async def read() -> None:
        cursor = start
        while True:
            finished = done.is_set()
            changes = await app.get_changes_since(reader, cursor, limit=page)
            seen.extend(e.position for e in changes.entries)
            cursor = changes.cursor
            if finished and not changes.has_more:
                return
            await asyncio.sleep(0)

    reading = asyncio.create_task(read())
    await asyncio.gather(*(write(i) for i in range(writers)))
    done.set()
    await reading
    everything = await app.get_changes_since(reader, start, limit=1000)
    assert not everything.has_more
    assert seen == [e.position for e in everything.entries]
    assert len(seen) == len(set(seen))
    posted = [e for e in everything.entries if e.event.type == "new_message"]
    assert len(posted) == writers * posts


@settings(max_examples=10, deadline=None)
@given(writers=st.integers(1, 6), posts=st.integers(1, 12), page=st.integers(1, 7))
def test_a_syncing_reader_sees_every_change_exactly_once_in_order(
    writers: int, posts: int, page: int
) -> None:
    asyncio.run(_run(writers, posts, page))
