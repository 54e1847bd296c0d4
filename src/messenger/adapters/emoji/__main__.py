"""``python -m messenger.adapters.emoji [PATH]``: write the web client's emoji catalogue to
PATH (default: print it)."""

from __future__ import annotations

import sys
from pathlib import Path

from messenger.adapters.emoji.unicode import picker_module


def main(argv: list[str]) -> None:
    if argv:
        Path(argv[0]).write_text(picker_module(), encoding="utf-8")
    else:
        sys.stdout.write(picker_module())


if __name__ == "__main__":
    main(sys.argv[1:])
