"""The committers as a mechanism, over a scripted write: grouping, retries, settling.

Both committers keep the same promises (a rule's error fails one submission, a raised error
fails its group, a unique-key race is retried until only the racing submission waits, a
cancelled caller's submission is still written); only the batching one shares groups.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from messenger.adapters.batching import BatchingCommitter
from messenger.adapters.memory import DirectCommitter
from messenger.domain.errors import Conflict, DomainError, ServiceUnavailable, ValidationError
from messenger.domain.ports import Committer


class ScriptedWrite:
    """A group write that returns each submission upper-cased, and can be told to break.

    ``bad``: submissions whose rule fails (returned as an error); ``racing``: submissions
    whose group raises ``Conflict`` the first ``race_for`` times it is written; ``broken``:
    the next group raises ``ServiceUnavailable``.
    """

    def __init__(self) -> None:
        self.groups: list[tuple[list[str], bool]] = []
        self.written: list[str] = []
        self.bad: set[str] = set()
        self.racing: set[str] = set()
        self.race_for = 1
        self.broken = False

    async def __call__(
        self, submissions: Sequence[str], /, *, after_conflict: bool
    ) -> list[str | DomainError]:
        self.groups.append((list(submissions), after_conflict))
        await asyncio.sleep(0)  # a real write waits for its storage
        if self.broken:
            self.broken = False
            raise ServiceUnavailable()
        racing = self.racing.intersection(submissions)
        if racing:
            for submission in racing:
                tries = sum(submission in group for group, _ in self.groups)
                if tries <= self.race_for:
                    raise Conflict("Duplicate key.")
        outcomes: list[str | DomainError] = []
        for submission in submissions:
            if submission in self.bad:
                outcomes.append(ValidationError(f"bad {submission}"))
            else:
                self.written.append(submission)
                outcomes.append(submission.upper())
        return outcomes


@pytest.fixture(params=["batching", "direct"])
def committer(request: pytest.FixtureRequest) -> Committer:
    return BatchingCommitter() if request.param == "batching" else DirectCommitter()


async def _submit_all(
    committer: Committer, write: ScriptedWrite, items: Sequence[str], max_group: int = 64
) -> list[str | BaseException]:
    submit = committer.submitter(write, max_group=max_group)
    return await asyncio.gather(*(submit(item) for item in items), return_exceptions=True)


async def test_each_caller_gets_its_own_result_in_order(committer: Committer) -> None:
    write = ScriptedWrite()
    assert await _submit_all(committer, write, ["a", "b", "c"]) == ["A", "B", "C"]
    assert write.written == ["a", "b", "c"]


async def test_the_batching_committer_shares_groups_and_the_direct_one_does_not() -> None:
    batched, alone = ScriptedWrite(), ScriptedWrite()
    await _submit_all(BatchingCommitter(), batched, list("abcdefg"), max_group=3)
    await _submit_all(DirectCommitter(), alone, list("abcdefg"), max_group=3)
    # Everything submitted before the writer first runs, so the queue is cut in threes.
    assert [group for group, _ in batched.groups] == [list("abc"), list("def"), ["g"]]
    assert [group for group, _ in alone.groups] == [[s] for s in "abcdefg"]


async def test_later_arrivals_join_the_next_group() -> None:
    write = ScriptedWrite()
    submit = BatchingCommitter().submitter(write, max_group=64)
    first = asyncio.ensure_future(submit("a"))
    await asyncio.sleep(0)  # the writer has taken "a" and is writing it
    rest = [asyncio.ensure_future(submit(s)) for s in "bcd"]
    assert await asyncio.gather(first, *rest) == ["A", "B", "C", "D"]
    assert [group for group, _ in write.groups] == [["a"], ["b", "c", "d"]]


async def test_a_broken_rule_fails_only_its_submission(committer: Committer) -> None:
    write = ScriptedWrite()
    write.bad = {"b"}
    outcomes = await _submit_all(committer, write, ["a", "b", "c"])
    assert outcomes[0] == "A"
    assert isinstance(outcomes[1], ValidationError)
    assert outcomes[2] == "C"


async def test_a_storage_failure_fails_the_whole_group() -> None:
    write = ScriptedWrite()
    write.broken = True
    outcomes = await _submit_all(BatchingCommitter(), write, ["a", "b", "c"])
    assert all(isinstance(o, ServiceUnavailable) for o in outcomes)
    assert write.written == []
    assert len(write.groups) == 1  # not retried: storage trouble is the caller's to retry


async def test_a_storage_failure_fails_only_its_own_unit_of_work_without_batching() -> None:
    write = ScriptedWrite()
    write.broken = True
    outcomes = await _submit_all(DirectCommitter(), write, ["a", "b"])
    assert isinstance(outcomes[0], ServiceUnavailable)
    assert outcomes[1] == "B"


async def test_a_conflict_is_written_again_with_the_keys_looked_up(committer: Committer) -> None:
    write = ScriptedWrite()
    write.racing = {"b"}
    assert await _submit_all(committer, write, ["a", "b", "c"]) == ["A", "B", "C"]
    assert sorted(write.written) == ["a", "b", "c"]
    attempts_of_b = [after_conflict for group, after_conflict in write.groups if "b" in group]
    assert attempts_of_b == [False, True]


async def test_a_lasting_race_is_retried_alone_so_only_the_racing_post_waits() -> None:
    write = ScriptedWrite()
    write.racing, write.race_for = {"b"}, 3  # the group twice, then "b" alone once
    assert await _submit_all(BatchingCommitter(), write, ["a", "b", "c"]) == ["A", "B", "C"]
    assert write.groups == [
        (["a", "b", "c"], False),
        (["a", "b", "c"], True),
        (["a"], True),
        (["b"], True),
        (["b"], True),
        (["c"], True),
    ]


async def test_a_race_lost_every_time_fails_only_the_racing_submission(
    committer: Committer,
) -> None:
    write = ScriptedWrite()
    write.racing, write.race_for = {"b"}, 100
    outcomes = await _submit_all(committer, write, ["a", "b", "c"])
    assert outcomes[0] == "A"
    assert isinstance(outcomes[1], Conflict)
    assert "try again" in str(outcomes[1])
    assert outcomes[2] == "C"


async def test_a_cancelled_callers_submission_is_still_written(committer: Committer) -> None:
    write = ScriptedWrite()
    submit = committer.submitter(write, max_group=64)
    waiting = asyncio.ensure_future(submit("a"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await submit("b") == "B"
    assert write.written == ["a", "b"]


async def test_a_write_that_loses_outcomes_fails_its_group() -> None:
    class Lossy:
        async def __call__(
            self, submissions: Sequence[str], /, *, after_conflict: bool
        ) -> list[str | DomainError]:
            return []

    submit = BatchingCommitter().submitter(Lossy(), max_group=8)
    outcomes = await asyncio.gather(submit("a"), submit("b"), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)


def test_a_group_must_hold_at_least_one_submission() -> None:
    with pytest.raises(ValueError, match="max_group"):
        BatchingCommitter().submitter(ScriptedWrite(), max_group=0)
