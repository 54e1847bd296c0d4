"""What the parts of the server count for ``/metrics``, with no exporter attached.

The container builds one ``Metrics`` per server (only when ``MESSENGER_METRICS`` is on) and
hands it to the parts that count; each part registers what it exposes, once, when it is
built: a *reading* (a callable the exporter calls at scrape time, so a gauge such as a queue
length or a count the part keeps anyway costs nothing between scrapes) or a ``Histogram``
it observes into. The HTTP entrypoint turns the lot into Prometheus series.

Standard library only, so adapters and entrypoints may both import it without importing
each other or an exporter; the domain does not count anything.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Labels = tuple[tuple[str, str], ...]


class Histogram:
    """Fixed buckets, observed without locks (one event loop): an increment and an add."""

    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(sorted(bounds))
        # One more than the bounds: the last counts what is above every bound (+Inf).
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        # ``le`` buckets: a value equal to a bound belongs to it.
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1


@dataclass(frozen=True)
class Reading:
    """A series read at scrape time: ``kind`` is ``counter`` (only grows) or ``gauge``."""

    name: str
    help: str
    kind: str
    read: Callable[[], float]
    labels: Labels = ()


@dataclass(frozen=True)
class HistogramSeries:
    """A histogram a part observes into."""

    name: str
    help: str
    histogram: Histogram
    labels: Labels = ()


class Metrics:
    """The series the server's parts registered (names start with ``messenger_``)."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.histograms: list[HistogramSeries] = []

    def counter(self, name: str, help: str, read: Callable[[], float], **labels: str) -> None:
        """A count the part keeps (``read`` returns it); ``name`` without ``_total``."""
        self.readings.append(Reading(name, help, "counter", read, tuple(labels.items())))

    def gauge(self, name: str, help: str, read: Callable[[], float], **labels: str) -> None:
        """A value that goes up and down, read when scraped."""
        self.readings.append(Reading(name, help, "gauge", read, tuple(labels.items())))

    def histogram(self, name: str, help: str, bounds: Sequence[float], **labels: str) -> Histogram:
        """A new histogram for the part to observe into."""
        histogram = Histogram(bounds)
        self.histograms.append(HistogramSeries(name, help, histogram, tuple(labels.items())))
        return histogram


# Seconds, for latencies within the server (a socket write is well under a millisecond on
# an idle server; seconds mean trouble).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
