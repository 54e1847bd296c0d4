"""Group commit: submissions that arrive while a group is being written share the next one.

Write units of work are serialised anyway (each holds the feed lock from its first statement
to its commit, see ``UnitOfWork``), so a write that has to wait for its turn may as well
share it: one lock, one multi-row insert, one feed insert and one commit for a whole queue of
posts instead of one each. ``bench/persistence.py`` measures what that is worth.

Needs nothing but the domain's ports, so it serves every storage adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from messenger.domain.errors import Conflict, DomainError
from messenger.domain.ports import GroupWrite
from messenger.metrics import Histogram, Metrics

S = TypeVar("S")
R = TypeVar("R")

# After a group failed on a unique key twice, each of its submissions alone, this many times.
_ALONE_ATTEMPTS = 3
# Submissions per group: how much a write shares its lock, round trip and commit.
_GROUP_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class BatchingCommitter:
    """A ``Committer`` with group commit: while one group is being written, submissions
    queue, and the next group takes up to ``max_group`` of them in their order of arrival."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self._sizes = (
            metrics.histogram(
                "messenger_commit_group_size",
                "Submissions written together by one group commit",
                _GROUP_SIZE_BUCKETS,
            )
            if metrics is not None
            else None
        )

    def submitter(self, write: GroupWrite[S, R], *, max_group: int) -> Callable[[S], Awaitable[R]]:
        return _Queue(write, max_group, self._sizes).submit


@dataclass
class _Pending(Generic[S, R]):
    submission: S
    future: asyncio.Future[R]

    def settle(self, outcome: R | Exception) -> None:
        # The caller may have gone away (a cancelled request); its submission was written
        # anyway, and a resend will find it.
        if self.future.done():
            return
        if isinstance(outcome, Exception):
            self.future.set_exception(outcome)
        else:
            self.future.set_result(outcome)


class _Queue(Generic[S, R]):
    """The submissions of one write and the task that writes them, group by group."""

    def __init__(
        self, write: GroupWrite[S, R], max_group: int, sizes: Histogram | None = None
    ) -> None:
        if max_group < 1:
            raise ValueError("max_group must be at least 1.")
        self._write = write
        self._max_group = max_group
        self._sizes = sizes
        self._pending: list[_Pending[S, R]] = []
        self._writer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def submit(self, submission: S) -> R:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Used from a new event loop (tests, an embedder's asyncio.run): start afresh.
            self._loop, self._pending, self._writer = loop, [], None
        future: asyncio.Future[R] = loop.create_future()
        pending = _Pending(submission, future)
        self._pending.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain())
        return await pending.future

    async def _drain(self) -> None:
        while self._pending:
            group = self._pending[: self._max_group]
            del self._pending[: len(group)]
            if self._sizes is not None:
                self._sizes.observe(len(group))
            try:
                await self._write_group(group)
            except BaseException:
                # The writer itself was cancelled (its loop is closing): nobody will write
                # these, so their callers must not wait for ever.
                for pending in group + self._pending:
                    pending.future.cancel()
                raise

    async def _write_group(self, group: list[_Pending[S, R]]) -> None:
        submissions = [p.submission for p in group]
        try:
            try:
                # Trusting the unique keys first: conflicts are rare, lookups cost every time.
                outcomes = await self._attempt(submissions, after_conflict=False)
            except Conflict:
                outcomes = await self._attempt(submissions, after_conflict=True)
        except Conflict:
            # Lost a race on a unique key with another process: one by one, so that only
            # the racing submission waits and finds what won.
            for pending in group:
                pending.settle(await self._write_alone(pending.submission))
            return
        except Exception as exc:
            # Storage trouble: the whole group failed, and nothing of it was kept.
            for pending in group:
                pending.settle(exc)
            return
        for pending, outcome in zip(group, outcomes, strict=True):
            pending.settle(outcome)

    async def _write_alone(self, submission: S) -> R | Exception:
        for _ in range(_ALONE_ATTEMPTS):
            try:
                [outcome] = await self._attempt([submission], after_conflict=True)
            except Conflict:
                continue
            except Exception as exc:
                return exc
            return outcome
        return Conflict("The change could not be stored; try again.")

    async def _attempt(
        self, submissions: list[S], *, after_conflict: bool
    ) -> Sequence[R | DomainError]:
        outcomes = await self._write(submissions, after_conflict=after_conflict)
        if len(outcomes) != len(submissions):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(submissions)} submissions")
        return outcomes
