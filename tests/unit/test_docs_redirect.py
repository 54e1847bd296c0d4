"""``/docs`` leads to the API docs: the HTML pages when served, else the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from messenger.container import Container
from messenger.entrypoints.http import create_app
from messenger.settings import Settings


@pytest.mark.parametrize(
    ("docs", "target"), [(True, "/api/v1/docs"), (False, "/api/v1/docs/openapi.json")]
)
def test_docs_redirects_to_the_api_docs(tmp_path: Path, docs: bool, target: str) -> None:
    settings = Settings(
        secret_key="x" * 32, database_url="memory://", upload_dir=tmp_path, docs=docs
    )
    with TestClient(create_app(Container(settings=settings))) as http:
        response = http.get("/docs", follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == target
        assert http.get("/docs").status_code == 200
        assert http.get("/").status_code == 200
