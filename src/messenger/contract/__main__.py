"""``python -m messenger.contract [PATH]``: write the web client's error codes module to
PATH (default: print it); ``python -m messenger.contract asyncapi`` prints the AsyncAPI
document."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from messenger.contract.asyncapi import asyncapi_document
from messenger.contract.clientcodes import error_codes_js


def main(argv: list[str]) -> None:
    if argv[:1] == ["asyncapi"]:
        print(json.dumps(asyncapi_document(), indent=2, ensure_ascii=False))
    elif argv:
        Path(argv[0]).write_text(error_codes_js(), encoding="utf-8")
    else:
        sys.stdout.write(error_codes_js())


if __name__ == "__main__":
    main(sys.argv[1:])
