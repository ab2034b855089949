"""An HDR-style latency histogram: log buckets with a bounded relative error, written for mcpcore.

Keeping every sample and sorting them is exact but grows with the run; a
fixed-width histogram either loses the tail or the head. Log-linear buckets
(as HdrHistogram does) keep every value to within ``2**-sub_bits`` of itself
from one nanosecond to hours, in a few kilobytes, and two histograms merge
by adding counts (rounds of a comparison, intervals of a timeline).

Values are integer nanoseconds. Values below ``2**sub_bits`` ns get a bucket
each (exact); above that, each power of two is split into ``2**(sub_bits-1)``
equal buckets, so a bucket is never wider than ``value / 2**(sub_bits-1)``.
Percentiles report a bucket's midpoint, clamped to the exact min and max.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["DEFAULT_SUB_BITS", "Histogram"]

#: 128 buckets per power of two: percentiles within 0.4% (half a bucket) of the true sample.
DEFAULT_SUB_BITS = 8


class Histogram:
    """Counts of latencies in log-linear buckets; ``record`` is O(1), ``percentile`` O(buckets)."""

    __slots__ = ("_limit", "count", "counts", "max", "min", "sub_bits", "total")

    def __init__(self, sub_bits: int = DEFAULT_SUB_BITS) -> None:
        if not 1 <= sub_bits <= 16:
            raise ValueError("sub_bits must be between 1 and 16")
        self.sub_bits = sub_bits
        self._limit = 1 << sub_bits
        #: ``{bucket index: samples}``, sparse: a run touches a few hundred buckets at most.
        self.counts: dict[int, int] = {}
        self.count = 0
        self.total = 0
        self.min = 0
        self.max = 0

    # ------------------------------------------------------------------ buckets

    def index(self, value: int) -> int:
        """The bucket of ``value`` nanoseconds (negative values count as 0)."""
        if value < self._limit:
            return max(value, 0)
        shift = value.bit_length() - self.sub_bits
        return (shift << self.sub_bits) + (value >> shift)

    def bounds(self, index: int) -> tuple[int, int]:
        """The values ``[low, high)`` that fall into bucket ``index``."""
        if index < self._limit:
            return index, index + 1
        shift = index >> self.sub_bits  # the mantissa (value >> shift) is below 2**sub_bits
        mantissa = index & (self._limit - 1)
        return mantissa << shift, (mantissa + 1) << shift

    # ------------------------------------------------------------------ recording

    def record(self, value: int) -> None:
        """Count one latency of ``value`` nanoseconds."""
        value = max(value, 0)
        index = value if value < self._limit else self.index(value)
        counts = self.counts
        counts[index] = counts.get(index, 0) + 1
        if self.count == 0 or value < self.min:
            self.min = value
        self.max = max(self.max, value)
        self.count += 1
        self.total += value

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts (same ``sub_bits``)."""
        if other.sub_bits != self.sub_bits:
            raise ValueError("cannot merge histograms of different precision")
        if not other.count:
            return
        for index, count in other.counts.items():
            self.counts[index] = self.counts.get(index, 0) + count
        self.min = other.min if not self.count else min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.count += other.count
        self.total += other.total

    @classmethod
    def merged(cls, histograms: Iterable[Histogram], sub_bits: int = DEFAULT_SUB_BITS) -> Histogram:
        """One histogram holding the counts of all of ``histograms``."""
        out = cls(sub_bits)
        for histogram in histograms:
            out.merge(histogram)
        return out

    # ------------------------------------------------------------------ reading

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def percentile(self, fraction: float) -> int:
        """The value (ns) at or below which ``fraction`` of the samples fall (0 when empty).

        ``fraction`` 1.0 is the exact maximum; otherwise the midpoint of the
        bucket holding the rank-``ceil(fraction * count)`` sample, clamped to
        the exact minimum and maximum.
        """
        if not self.count:
            return 0
        if fraction >= 1.0:
            return self.max
        rank = max(1, -int(-fraction * self.count // 1))  # ceil without float surprises at exact ranks
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                low, high = self.bounds(index)
                middle = (low + high - 1) // 2
                return min(max(middle, self.min), self.max)
        return self.max

    def buckets(self) -> list[tuple[int, int, int]]:
        """``(low ns, high ns, count)`` for every non-empty bucket, in order."""
        return [(*self.bounds(index), self.counts[index]) for index in sorted(self.counts)]

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """A compact JSON form: ``counts`` as ``[index, count]`` pairs, values in ns."""
        return {
            "unit": "ns",
            "sub_bits": self.sub_bits,
            "count": self.count,
            "min": self.min,
            "max": self.max,
            "total": self.total,
            "counts": [[index, self.counts[index]] for index in sorted(self.counts)],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Histogram:
        """The inverse of :meth:`to_json`."""
        out = cls(int(data.get("sub_bits", DEFAULT_SUB_BITS)))
        out.counts = {int(index): int(count) for index, count in data.get("counts", [])}
        out.count = int(data.get("count", sum(out.counts.values())))
        out.min = int(data.get("min", 0))
        out.max = int(data.get("max", 0))
        out.total = int(data.get("total", 0))
        return out
