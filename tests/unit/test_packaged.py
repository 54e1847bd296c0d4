"""The migrations and the web client are found without a working directory to lean on:
in the package when installed from the wheel, in the checkout otherwise."""

from __future__ import annotations

from pathlib import Path

from messenger.entrypoints.webclient import WEB_DIR_ENV, find_web_dir
from messenger.packaged import MIGRATIONS, WEB_LOCALES, WEB_RENDERER, data_dir


def test_the_migrations_are_found_with_their_environment() -> None:
    migrations = data_dir(MIGRATIONS)
    assert migrations is not None
    assert (migrations / "env.py").is_file()
    assert any((migrations / "versions").glob("0001*.py"))


def test_the_web_client_and_its_locales_are_found() -> None:
    renderer, locales = data_dir(WEB_RENDERER), data_dir(WEB_LOCALES)
    assert renderer is not None
    assert (renderer / "index.html").is_file()
    assert locales is not None
    assert (locales / "en.json").is_file()
    assert find_web_dir({}) == renderer


def test_messenger_web_dir_overrides_the_shipped_client(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><title>ours</title>")
    assert find_web_dir({WEB_DIR_ENV: str(tmp_path)}) == tmp_path.resolve()
    # A directory without a page is no client: nothing is served rather than a listing.
    assert find_web_dir({WEB_DIR_ENV: str(tmp_path / "missing")}) is None
