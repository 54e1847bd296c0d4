"""Mentions: which users a message's text names with ``@username`` (or everyone, ``@all``).

The rule, kept simple so the client can show the same thing:

- ``@`` followed by a username (latin letters, digits, ``_`` and ``.``, 3-32 characters,
  starting and ending with a letter or digit), compared case-insensitively as usernames are
  stored lower-cased. Trailing dots and underscores end the name (``@bob.`` names bob).
- The ``@`` must start the text or follow a character that is neither a letter, a digit, nor
  one of ``_ . @ / -``: ``bob@example.com`` and ``https://host/@bob`` mention nobody.
- Nothing inside code counts: fenced blocks (between two lines' worth of three backticks)
  and inline code spans (between single backticks) are skipped. An unclosed backtick is
  plain text, as in Markdown.
- ``@all`` is a keyword, never a user: in a group it names every other member when its
  sender is an owner or an admin; from anyone else, and in dialogs, it is plain text.
- The sender is never among their own message's mentions (there is nobody to tell), and
  only the chat's current members count. At most ``MAX_MENTIONS`` names are looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

EVERYONE = "all"
MAX_MENTIONS = 50
# The username grammar of ``model.USERNAME_RE``, case-insensitive, at a word boundary.
_MENTION = re.compile(r"(?<![\w.@/\-])@([A-Za-z0-9][A-Za-z0-9_.]*)(?!\w)")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_.]{1,30})[a-z0-9]$")
_FENCE = re.compile(r"```.*?```", re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`]*`")


def mentioned_names(text: str) -> frozenset[str]:
    """The lower-cased names ``text`` mentions (``EVERYONE`` included when it says
    ``@all``), by the rule above; costs nothing for a text without ``@``."""
    if "@" not in text:
        return frozenset()
    if "`" in text:
        text = _CODE_SPAN.sub(" ", _FENCE.sub(" ", text))
    names: dict[str, None] = {}
    for found in _MENTION.finditer(text):
        name = found.group(1).rstrip("._").lower()
        if _NAME.match(name):
            names[name] = None
            if len(names) == MAX_MENTIONS:
                break
    return frozenset(names)


def resolve_mentions(
    names: Iterable[str],
    ids_by_name: Mapping[str, int],
    members: frozenset[int],
    sender_id: int,
    *,
    everyone: bool,
) -> tuple[int, ...]:
    """The ids a message mentions, ascending: the members among the named users, or all
    members for ``everyone`` (the caller decided ``@all`` counts); never the sender."""
    if everyone:
        mentioned = set(members)
    else:
        mentioned = {ids_by_name[n] for n in names if n != EVERYONE and n in ids_by_name}
        mentioned &= members
    mentioned.discard(sender_id)
    return tuple(sorted(mentioned))
