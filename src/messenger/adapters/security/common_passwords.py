"""The ``CommonPasswords`` port on a bundled list of the 20,000 most common passwords.

The list (``common-passwords.txt.gz``, lowercased, one a line) is Royce Williams' list as
distributed with Django under the BSD licence; ``NOTICE-common-passwords.txt`` next to it
says where it comes from and carries the licence.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

BUNDLED_LIST = "common-passwords.txt.gz"


@functools.cache
def _load() -> frozenset[str]:
    # Once per process, on first use: about 20,000 short strings (~1.5 MiB), read in a few
    # milliseconds; a server that never sees a password set never loads them.
    data = resources.files(__package__ or __name__).joinpath(BUNDLED_LIST).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())


class BundledCommonPasswords:
    """The most common passwords, lowercased, read lazily from the package's data file."""

    def __contains__(self, password: object, /) -> bool:
        return password in _load()

    def __len__(self) -> int:
        return len(_load())
