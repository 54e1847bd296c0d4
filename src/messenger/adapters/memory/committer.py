"""A ``Committer`` without batching: every submission gets a unit of work of its own.

For in-memory storage, where a commit costs nothing worth sharing, and for embedders who
want the simplest behaviour; ``messenger.adapters.batching`` is the group-commit one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from messenger.domain.errors import Conflict
from messenger.domain.ports import GroupWrite

S = TypeVar("S")
R = TypeVar("R")

# A first attempt trusting the unique keys, then up to three that look them up first.
_ATTEMPTS = (False, True, True, True)


class DirectCommitter:
    """Writes each submission alone, in the caller's order of arrival."""

    def submitter(self, write: GroupWrite[S, R], *, max_group: int) -> Callable[[S], Awaitable[R]]:
        async def submit(submission: S) -> R:
            # Shielded: a caller that stops waiting (a cancelled request) still has its
            # submission written, as with group commit; a resend will find it.
            outcome = await asyncio.shield(_write_alone(write, submission))
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        return submit


async def _write_alone(write: GroupWrite[S, R], submission: S) -> R | Exception:
    for after_conflict in _ATTEMPTS:
        try:
            [outcome] = await write([submission], after_conflict=after_conflict)
        except Conflict:
            continue
        except Exception as exc:
            return exc
        return outcome
    return Conflict("The change could not be stored; try again.")
