"""Build step: ship the migrations and the web client inside the ``messenger`` package.

They stay where developers and the design expect them (``migrations/`` at the root,
``client/renderer`` and ``client/locales`` beside the Electron shell); building the wheel
copies them to ``messenger/_migrations`` and ``messenger/_web``, where
``messenger.packaged`` finds them with ``importlib.resources``. A copy at build time rather
than symlinks (lost on Windows and in some archives) or committed duplicates (which
drift); the sdist carries the originals (MANIFEST.in) so a wheel built from it is the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (source in the repository, destination inside the package)
TREES = (
    ("migrations", "_migrations"),
    ("client/renderer", "_web/renderer"),
    ("client/locales", "_web/locales"),
)
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")


class BuildWithData(build_py):
    """``build_py`` that also copies the migrations and the web client into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            # An editable install runs from the checkout, which has the originals.
            return
        package = Path(self.build_lib) / "messenger"
        for source, dest in TREES:
            origin = ROOT / source
            if not origin.is_dir():
                raise SystemExit(f"setup.py: {source}/ is missing; cannot build the package")
            target = package / dest
            # A previous build may have left files that no longer exist in the source.
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(origin, target, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithData})
