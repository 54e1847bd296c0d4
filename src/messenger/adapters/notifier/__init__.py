"""Notifier adapters: fan-out of committed events to every server process."""

from messenger.adapters.notifier.presence import RedisPresence
from messenger.adapters.notifier.redis_pubsub import DEFAULT_CHANNEL, RedisNotifier

__all__ = ["DEFAULT_CHANNEL", "RedisNotifier", "RedisPresence"]
