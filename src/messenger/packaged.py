"""Files shipped beside the code: the migrations and the web client.

In the repository they live where developers expect them (``migrations/``,
``client/renderer``, ``client/locales``); the wheel's build step (``setup.py``) copies them
into the package as ``messenger/_migrations`` and ``messenger/_web``. This module finds
them either way, so an installed server runs from any directory and a checkout runs
without building anything.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# Where the build step puts each tree inside the package, and where it lives in a checkout
# (relative to the repository root).
MIGRATIONS = ("_migrations", "migrations")
WEB_RENDERER = ("_web/renderer", "client/renderer")
WEB_LOCALES = ("_web/locales", "client/locales")


def data_dir(location: tuple[str, str]) -> Path | None:
    """The directory of ``location``: the package's copy, else the source checkout's."""
    packaged, checkout = location
    resource = files("messenger").joinpath(packaged)
    # An installed wheel is unpacked on disk, so the resource is a real directory; a
    # zipped import (never produced by pip) would have no path to hand to alembic.
    if isinstance(resource, Path) and resource.is_dir():
        return resource
    # src/messenger/packaged.py -> the repository root is two levels above the package.
    candidate = Path(__file__).resolve().parents[2] / checkout
    return candidate if candidate.is_dir() else None


__all__ = ["MIGRATIONS", "WEB_LOCALES", "WEB_RENDERER", "data_dir"]
