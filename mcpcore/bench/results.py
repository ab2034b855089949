"""What a phase measured, and how rounds of it are combined: :class:`PhaseResult`, :func:`median_phase`.

A *phase* is one load setting against one server: a closed loop at one
concurrency, or an open loop at one rate. Its latency lives in a
:class:`~mcpcore.bench.histogram.Histogram` (every sample counted, nothing
averaged away) and a timeline of 100 ms intervals (when in the run the slow
calls happened). The JSON form is what ``--json`` prints: the fields the
issue names (``name``, ``requests``, ``errors``, ``duration_s``,
``throughput_rps``, ``latency_ms`` with ``p50``/``p90``/``p99``/``p999``/``max``)
and the rest beside them.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mcpcore.bench.histogram import Histogram

__all__ = ["PERCENTILES", "TIMELINE_STEP_S", "PhaseResult", "TimelineBin", "latency_figures", "median_phase"]

#: Reported percentiles: JSON key -> fraction.
PERCENTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p99": 0.99, "p999": 0.999}
#: Width of a timeline interval: fine enough to show a 500 ms stall, coarse enough to stay small.
TIMELINE_STEP_S = 0.1


def latency_figures(histogram: Histogram) -> dict[str, float]:
    """p50/p90/p99/p999/max/mean in milliseconds."""
    figures = {key: histogram.percentile(fraction) / 1e6 for key, fraction in PERCENTILES.items()}
    figures["max"] = histogram.max / 1e6
    figures["mean"] = histogram.mean / 1e6
    return figures


@dataclass
class TimelineBin:
    """The calls scheduled in one interval of a phase (latency is of the successful ones)."""

    histogram: Histogram = field(default_factory=Histogram)
    errors: int = 0

    def to_json(self, start_s: float) -> dict[str, Any]:
        figures = latency_figures(self.histogram)
        return {
            "t_s": round(start_s, 3),
            "requests": self.histogram.count,
            "errors": self.errors,
            "p50_ms": figures["p50"],
            "p99_ms": figures["p99"],
            "max_ms": figures["max"],
        }


@dataclass
class PhaseResult:
    """One phase against one server (or the median of several rounds of it)."""

    server: str
    phase: str
    transport: str
    mode: str  # "closed" or "open"
    concurrency: int
    rate: float | None
    requests: int
    errors: int
    duration_s: float
    histogram: Histogram
    timeline: list[dict[str, Any]] = field(default_factory=list)
    error_samples: dict[str, int] = field(default_factory=dict)
    session: str = "-"
    protocol: str = ""
    workload: str = ""
    cold_start_ms: float = 0.0
    cpu_us_per_request: float = 0.0
    rss_idle_mib: float = 0.0
    rss_mib: float = 0.0
    rounds: int = 1
    #: HTTP only: how many call answers came as each media type (``application/json``, ``text/event-stream``).
    body_types: dict[str, int] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    throughput_rps: float = 0.0
    #: Ratios to the first server of a comparison (same phase): ``p50`` and ``throughput``.
    ratio: dict[str, float] | None = None

    def __post_init__(self) -> None:
        if not self.latency_ms:
            self.latency_ms = latency_figures(self.histogram)
        if not self.throughput_rps and self.duration_s > 0:
            self.throughput_rps = self.requests / self.duration_s

    @property
    def name(self) -> str:
        return f"{self.server} · {self.phase}"

    def to_json(self, *, detail: bool = True) -> dict[str, Any]:
        """The ``--json`` entry; ``detail`` adds the histogram and the timeline (for HTML, for tools)."""
        data: dict[str, Any] = {
            "name": self.name,
            "server": self.server,
            "phase": self.phase,
            "requests": self.requests,
            "errors": self.errors,
            "duration_s": round(self.duration_s, 6),
            "throughput_rps": round(self.throughput_rps, 3),
            "latency_ms": {key: round(value, 6) for key, value in self.latency_ms.items()},
            "transport": self.transport,
            "mode": self.mode,
            "concurrency": self.concurrency,
            "rate": self.rate,
            "session": self.session,
            "protocol": self.protocol,
            "workload": self.workload,
            "cold_start_ms": round(self.cold_start_ms, 3),
            "cpu_us_per_request": round(self.cpu_us_per_request, 3),
            "rss_idle_mib": round(self.rss_idle_mib, 2),
            "rss_mib": round(self.rss_mib, 2),
            "rounds": self.rounds,
            "body_types": self.body_types,
            "error_samples": self.error_samples,
        }
        if self.ratio is not None:
            data["ratio"] = {key: round(value, 4) for key, value in self.ratio.items()}
        if detail:
            data["histogram"] = self.histogram.to_json()
            data["timeline"] = self.timeline
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhaseResult:
        """The inverse of :meth:`to_json` (with ``detail``)."""
        histogram = Histogram.from_json(data["histogram"]) if "histogram" in data else Histogram()
        return cls(
            server=data["server"],
            phase=data["phase"],
            transport=data["transport"],
            mode=data["mode"],
            concurrency=int(data["concurrency"]),
            rate=data.get("rate"),
            requests=int(data["requests"]),
            errors=int(data["errors"]),
            duration_s=float(data["duration_s"]),
            histogram=histogram,
            timeline=list(data.get("timeline", [])),
            error_samples=dict(data.get("error_samples", {})),
            session=data.get("session", "-"),
            protocol=data.get("protocol", ""),
            workload=data.get("workload", ""),
            cold_start_ms=float(data.get("cold_start_ms", 0.0)),
            cpu_us_per_request=float(data.get("cpu_us_per_request", 0.0)),
            rss_idle_mib=float(data.get("rss_idle_mib", 0.0)),
            rss_mib=float(data.get("rss_mib", 0.0)),
            rounds=int(data.get("rounds", 1)),
            body_types=dict(data.get("body_types", {})),
            latency_ms=dict(data["latency_ms"]),
            throughput_rps=float(data["throughput_rps"]),
            ratio=data.get("ratio"),
        )


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def median_phase(rounds: Sequence[PhaseResult]) -> PhaseResult:
    """Per-figure medians of several rounds of one phase (the machine is noisy; the median resists it).

    Counts (requests, errors) are summed; the histogram merges every round's
    samples (for the HTML picture of the whole distribution); the timeline is
    the last round's.
    """
    first = rounds[0]
    samples: dict[str, int] = {}
    for result in rounds:
        for text, count in result.error_samples.items():
            samples[text] = samples.get(text, 0) + count
    keys = first.latency_ms.keys()
    body_types: dict[str, int] = {}
    for result in rounds:
        for kind, count in result.body_types.items():
            body_types[kind] = body_types.get(kind, 0) + count
    return PhaseResult(
        server=first.server,
        phase=first.phase,
        transport=first.transport,
        mode=first.mode,
        concurrency=first.concurrency,
        rate=first.rate,
        requests=sum(r.requests for r in rounds),
        errors=sum(r.errors for r in rounds),
        duration_s=sum(r.duration_s for r in rounds),
        histogram=Histogram.merged(r.histogram for r in rounds),
        timeline=rounds[-1].timeline,
        error_samples=samples,
        session=first.session,
        protocol=first.protocol,
        workload=first.workload,
        cold_start_ms=_median([r.cold_start_ms for r in rounds]),
        cpu_us_per_request=_median([r.cpu_us_per_request for r in rounds]),
        rss_idle_mib=_median([r.rss_idle_mib for r in rounds]),
        rss_mib=_median([r.rss_mib for r in rounds]),
        rounds=sum(r.rounds for r in rounds),
        body_types=body_types,
        latency_ms={key: _median([r.latency_ms[key] for r in rounds]) for key in keys},
        throughput_rps=_median([r.throughput_rps for r in rounds]),
    )
