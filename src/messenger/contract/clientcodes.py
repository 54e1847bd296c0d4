"""The web client's copy of the contract's error codes, generated so it cannot drift.

``python -m messenger.contract client/renderer/lib/errorcodes.js`` writes it; a test fails
when the checked-in file differs from what this module generates.
"""

from __future__ import annotations

from messenger.contract.errors import ErrorCode
from messenger.contract.shapes import CONTRACT_VERSION

CLIENT_MODULE = "client/renderer/lib/errorcodes.js"


def error_codes_js() -> str:
    """The source of ``client/renderer/lib/errorcodes.js``."""
    members = "\n".join(f"  {code.name}: '{code.value}'," for code in ErrorCode)
    return (
        "// Generated from messenger.contract (the server's published contract); do not edit.\n"
        f"// Regenerate: .venv/bin/python -m messenger.contract {CLIENT_MODULE}\n"
        "\n"
        "/** The contract version these codes belong to (the ready frame's `version`). */\n"
        f"export const CONTRACT_VERSION = '{CONTRACT_VERSION}';\n"
        "\n"
        "/** Every `code` of problem details and of socket `error` frames. */\n"
        "export const ErrorCode = Object.freeze({\n"
        f"{members}\n"
        "});\n"
        "\n"
        "export const ERROR_CODES = Object.freeze(Object.values(ErrorCode));\n"
    )
