"""The Unicode emoji set, from the pinned ``emoji`` package: what a reaction may be, and the
catalogue the web client's picker shows (generated from the same data)."""

from messenger.adapters.emoji.unicode import UnicodeEmoji, picker_catalogue, picker_module

__all__ = ["UnicodeEmoji", "picker_catalogue", "picker_module"]
