"""``EmojiSet`` over the ``emoji`` package's data (Unicode's emoji-test list).

Every emoji is stored in its fully-qualified form: "❤" (unqualified) and "❤️" are one
reaction. Skin-tone and joiner sequences are single entries of the data, so they are one
emoji; a skin tone alone (a "component") is no reaction.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import emoji as emoji_package

_FULLY_QUALIFIED = emoji_package.STATUS["fully_qualified"]
_COMPONENT = emoji_package.STATUS["component"]
# Far above the longest emoji sequence (a family with skin tones is under 20 code points):
# anything longer is refused before a lookup.
MAX_EMOJI_LENGTH = 32
_SKIN_TONES = "\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"


@cache
def _canonical_forms() -> dict[str, str]:
    """Every emoji of the data (but components) to its fully-qualified form, by its name."""
    data: dict[str, dict[str, Any]] = emoji_package.EMOJI_DATA
    by_name = {v["en"]: e for e, v in data.items() if v["status"] == _FULLY_QUALIFIED}
    return {e: by_name.get(v["en"], e) for e, v in data.items() if v["status"] != _COMPONENT}


class UnicodeEmoji:
    """The emoji of the pinned ``emoji`` package."""

    def canonical(self, text: str) -> str | None:
        if not text or len(text) > MAX_EMOJI_LENGTH:
            return None
        return _canonical_forms().get(text)


def _name(entry: dict[str, Any], language: str) -> str:
    return str(entry.get(language, entry["en"])).strip(":").replace("_", " ")


def picker_catalogue() -> list[list[Any]]:
    """The picker's emoji in the data's order: ``[emoji, English name, Russian name, tones]``
    per fully-qualified emoji without a skin tone; ``tones`` lists its five skin-tone forms
    (light to dark) or is null."""
    emoji_package.config.load_language("ru")
    data: dict[str, dict[str, Any]] = emoji_package.EMOJI_DATA
    forms = _canonical_forms()
    tones: dict[str, list[str | None]] = {}
    for e, v in data.items():
        if v["status"] != _FULLY_QUALIFIED:
            continue
        used = [t for t in _SKIN_TONES if t in e]
        if len(used) != 1 or e.count(used[0]) != 1:
            continue
        base = forms.get(e.replace(used[0], "")) or forms.get(e.replace(used[0], "\ufe0f"))
        if base is not None:
            tones.setdefault(base, [None] * 5)[_SKIN_TONES.index(used[0])] = e
    rows: list[list[Any]] = []
    # By code points: related emoji sit in blocks (faces, people, animals, food...).
    for e, v in sorted(data.items(), key=lambda item: [ord(c) for c in item[0]]):
        if v["status"] != _FULLY_QUALIFIED or any(t in e for t in _SKIN_TONES):
            continue
        found = tones.get(e)
        rows.append([e, _name(v, "en"), _name(v, "ru"), found if found and all(found) else None])
    return rows


def picker_module() -> str:
    """The web client's ``lib/emoji-data.js``: the picker's catalogue as an ES module."""
    rows = ",\n".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in picker_catalogue()
    )
    return (
        "// Generated from the server's emoji set (the pinned `emoji` package); do not edit.\n"
        "// Regenerate: .venv/bin/python -m messenger.adapters.emoji"
        " client/renderer/lib/emoji-data.js\n\n"
        f"export const EMOJI_VERSION = '{emoji_package.__version__}';\n\n"
        "/** [emoji, English name, Russian name, its five skin-tone forms or null]. */\n"
        f"export const EMOJI = Object.freeze([\n{rows},\n]);\n"
    )
