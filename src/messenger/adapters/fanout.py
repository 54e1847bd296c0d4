"""The receiving half of a notifier within one process, shared by the in-process and the
broker notifiers: every subscribed listener gets each delivery, and one that fails is
isolated from the others (counted and logged, never raised into the publisher)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from messenger.domain.events import Delivery
from messenger.domain.ports import DeliveryListener

log = logging.getLogger(__name__)


class DeliveryFanOut:
    """The ``EventStream`` port in this process."""

    def __init__(self, on_error: Callable[[], None] | None = None) -> None:
        self._listeners: list[DeliveryListener] = []
        self._on_error = on_error
        self.errors = 0

    @property
    def listening(self) -> bool:
        return bool(self._listeners)

    def subscribe(self, listener: DeliveryListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def dispatch(self, delivery: Delivery) -> None:
        for listener in list(self._listeners):
            try:
                listener(delivery)
            except Exception:
                self.errors += 1
                if self._on_error is not None:
                    self._on_error()
                log.exception("Delivery listener failed")
