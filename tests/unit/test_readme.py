"""The README's library example is true: it runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Embedding the domain as a library"


def embedding_example() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION) + len(SECTION)
    end = text.find("\n## ", start)
    section = text[start : end if end != -1 else len(text)]
    match = re.search(r"^```python\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert match, f"no python block under {SECTION!r}"
    return match.group(1)


def test_the_readme_embedding_example_runs() -> None:
    code = embedding_example()
    assert "messenger.in_memory()" in code

    # Run as a script: the block calls asyncio.run itself and asserts its own claims.
    exec(compile(code, f"{README}:{SECTION}", "exec"), {"__name__": "__main__"})
