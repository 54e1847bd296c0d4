"""Themes and settings: how the app looks to a user and which language it speaks.

A theme colours the app through a fixed set of colour tokens, each a ``#rrggbb`` value; a
theme may set any of them, and the tokens it leaves out keep the built-in palette's
colours. Its ``background`` (of the chat pane) is a colour or an image the user uploaded.
Settings name the active theme: one of the user's themes or a built-in one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from messenger.domain.errors import ValidationError
from messenger.domain.model import StoredFile, strip_unsafe

THEME_NAME_MAX = 64
# Every colour a theme can set. Clients map each to their own style variables; a token a
# client does not know of yet it ignores, so new tokens can be added here.
COLOR_TOKENS: tuple[str, ...] = (
    "background",  # the window behind everything
    "surface",  # panels, lists, headers
    "text",
    "text_muted",  # secondary text: times, previews, hints
    "border",
    "accent",  # buttons, links, selection
    "bubble_in",  # messages of others
    "bubble_in_text",
    "bubble_out",  # the user's own messages
    "bubble_out_text",
    "danger",  # destructive actions, errors
)
# The themes every client ships: "system" follows the device's light or dark preference.
BUILT_IN_THEMES: tuple[str, ...] = ("system", "light", "dark")
LANGUAGES: tuple[str, ...] = ("system", "en", "ru")
DEFAULT_THEME = "system"
DEFAULT_LANGUAGE = "system"

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def clean_color(raw: str, *, field: str) -> str:
    """A ``#rrggbb`` colour, lower-cased so that equal colours compare equal."""
    if not isinstance(raw, str) or not _COLOR.fullmatch(raw):
        raise ValidationError("A colour must be written as #rrggbb.", field=field)
    return raw.lower()


def clean_theme_name(raw: str) -> str:
    name = strip_unsafe(raw).strip()
    if not 1 <= len(name) <= THEME_NAME_MAX:
        raise ValidationError(
            f"A theme's name must be 1-{THEME_NAME_MAX} characters.", field="name"
        )
    return name


def clean_colors(raw: Mapping[str, str]) -> dict[str, str]:
    """The colours of a theme, in token order; an unknown token is refused (a typo would
    otherwise be kept and silently do nothing)."""
    for token in raw:
        if token not in COLOR_TOKENS:
            raise ValidationError(
                f"Unknown colour token {token!r}; known are: {', '.join(COLOR_TOKENS)}.",
                field=f"colors.{token}",
            )
    return {t: clean_color(raw[t], field=f"colors.{t}") for t in COLOR_TOKENS if t in raw}


def is_color(value: str) -> bool:
    return value.startswith("#")


def check_background(raw: str | None, file: StoredFile | None, user_id: int) -> str | None:
    """A theme's background: a colour, or the id of an image ``user_id`` uploaded (``file``
    is the file of that id, if any). Someone else's file is refused like a missing one, so
    that file ids cannot be probed through themes."""
    if raw is None or raw == "":
        return None
    if is_color(raw):
        return clean_color(raw, field="background")
    if file is None or file.owner_id != user_id or file.id != raw:
        raise ValidationError(
            "The background must be a colour (#rrggbb) or an image you uploaded.",
            field="background",
        )
    if not file.content_type.startswith("image/"):
        raise ValidationError("The background file must be an image.", field="background")
    return file.id


@dataclass
class Theme:
    """A named set of colours a user made."""

    id: str
    owner_id: int
    name: str
    colors: dict[str, str]
    # A ``#rrggbb`` colour or the id of an uploaded image; None: the palette's background.
    background: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def background_file_id(self) -> str | None:
        """The image file the background shows, if it is one."""
        bg = self.background
        return None if bg is None or is_color(bg) else bg


@dataclass
class UserSettings:
    """What a user chose for all their devices."""

    user_id: int
    theme_id: str = DEFAULT_THEME
    language: str = DEFAULT_LANGUAGE

    def choose_theme(self, theme_id: str, own_theme_ids: set[str]) -> None:
        if theme_id not in BUILT_IN_THEMES and theme_id not in own_theme_ids:
            raise ValidationError(
                "The theme must be one of yours or system, light or dark.", field="theme_id"
            )
        self.theme_id = theme_id

    def choose_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValidationError(
                f"The language must be one of: {', '.join(LANGUAGES)}.", field="language"
            )
        self.language = language

    def forget_theme(self, theme_id: str) -> bool:
        """A theme was deleted: if it was the active one, follow the system again."""
        if self.theme_id != theme_id:
            return False
        self.theme_id = DEFAULT_THEME
        return True


__all__ = [
    "BUILT_IN_THEMES",
    "COLOR_TOKENS",
    "DEFAULT_LANGUAGE",
    "DEFAULT_THEME",
    "LANGUAGES",
    "THEME_NAME_MAX",
    "Theme",
    "UserSettings",
    "check_background",
    "clean_color",
    "clean_colors",
    "clean_theme_name",
]
