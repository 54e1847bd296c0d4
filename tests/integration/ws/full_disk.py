"""A disk that fills up, for where no small filesystem can be mounted.

Run in a server process before ``messenger serve`` (``ServerProcess(preamble=PREAMBLE)``):
the upload store's files then fail their writes with ENOSPC once
``MESSENGER_TEST_DISK_BYTES`` bytes have been written in all, exactly as a full disk's
``write`` does, so the store's own handling of a full disk is what is tested.
"""

from __future__ import annotations

import builtins
import errno
import os
from typing import Any

from messenger.adapters.files import local

PREAMBLE = "import tests.integration.ws.full_disk as disk; disk.install()"


class _FillingFile:
    """A file opened for writing whose writes spend the disk's shared budget."""

    def __init__(self, file: Any, budget: list[int]) -> None:
        self._file = file
        self._budget = budget

    def write(self, data: bytes) -> int:
        if len(data) > self._budget[0]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._budget[0] -= len(data)
        written: int = self._file.write(data)
        return written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def install() -> None:
    """Give the upload store a disk of ``MESSENGER_TEST_DISK_BYTES`` bytes."""
    budget = [int(os.environ["MESSENGER_TEST_DISK_BYTES"])]
    real_open = builtins.open

    def filling_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened = real_open(file, mode, *args, **kwargs)
        return _FillingFile(opened, budget) if "w" in mode else opened

    # The store calls the builtin ``open``; a global of its module shadows it.
    local.open = filling_open  # type: ignore[attr-defined]
