"""Housekeeping a running server does on its own: the periodic sweep of uploads that no
message carries (``messenger cleanup-uploads`` does one sweep by hand), finishing
account deletions that a restart interrupted (their messages still being erased),
pruning audit log entries older than ``MESSENGER_AUDIT_RETENTION_DAYS`` and feed entries
older than ``MESSENGER_FEED_RETENTION_DAYS`` (``messenger feed prune`` does that by hand)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from messenger.domain.service import Messenger

log = logging.getLogger("messenger.housekeeping")

# Uploads live ``MESSENGER_LIMIT_UNATTACHED_UPLOAD_HOURS``: an hour late is close enough.
SWEEP_INTERVAL = 3600.0
# The first sweep waits a little: a server just started is busy with clients reconnecting.
FIRST_SWEEP_DELAY = 60.0


@contextlib.asynccontextmanager
async def sweeping_uploads(
    messenger: Messenger, *, every: float = SWEEP_INTERVAL, first_after: float = FIRST_SWEEP_DELAY
) -> AsyncIterator[None]:
    """Delete abandoned uploads now and then while the context is open.

    Every server process sweeps: the sweep is idempotent, and one process alone would have to
    be chosen somehow.
    """
    task = asyncio.create_task(_sweep_forever(messenger, every, first_after))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _sweep_forever(messenger: Messenger, every: float, first_after: float) -> None:
    await asyncio.sleep(first_after)
    while True:
        try:
            deleted = await messenger.delete_abandoned_uploads()
        except Exception:  # the next sweep may fare better (the storage may be back)
            log.exception("sweeping abandoned uploads failed")
        else:
            if deleted:
                log.info("deleted %d uploads attached to no message", deleted)
        try:
            resumed = await messenger.resume_account_deletions()
        except Exception:  # the next sweep resumes them
            log.exception("resuming account deletions failed")
        else:
            if resumed:
                log.info("finished %d interrupted account deletions", resumed)
        try:
            pruned = await messenger.prune_audit_log()
        except Exception:  # the next sweep prunes them
            log.exception("pruning the audit log failed")
        else:
            if pruned:
                log.info("pruned %d audit log entries past MESSENGER_AUDIT_RETENTION_DAYS", pruned)
        try:
            pruned = await messenger.prune_feed()
        except Exception:  # the next sweep prunes them
            log.exception("pruning the feed failed")
        else:
            if pruned:
                log.info("pruned %d feed entries past MESSENGER_FEED_RETENTION_DAYS", pruned)
        await asyncio.sleep(every)
