"""``--html FILE``: one self-contained page (inline SVG, no script, no network) to look at a run.

For each phase: the latency distribution (log-scaled latency axis, share of
calls per bin, one line per server) and latency over the run (p50 and p99
of each 100 ms interval, by scheduled send time, so a stall shows where it
happened). Then throughput per phase, and the table. A reader can open it
from a CI artifact or a mail attachment and see everything.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from html import escape

from mcpcore.bench.report import format_table
from mcpcore.bench.results import PhaseResult

__all__ = ["render_html"]

_COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f")
_W, _H = 760, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 24, 40


def _fmt_ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g} s"
    if value >= 1:
        return f"{value:g} ms"
    return f"{value * 1000:g} us"


def _log_ticks(low: float, high: float) -> list[float]:
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**exponent
            if low <= value <= high:
                ticks.append(value)
    return ticks


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}"'
        ' font-family="sans-serif" font-size="11">',
        f'<rect width="{_W}" height="{_H}" fill="#fff"/>',
        f'<text x="{_LEFT}" y="14" font-weight="bold">{escape(title)}</text>',
        f'<text x="{(_W + _LEFT) / 2}" y="{_H - 6}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="12" y="{(_H + _TOP) / 2}" transform="rotate(-90 12 {(_H + _TOP) / 2})"'
        f' text-anchor="middle">{escape(y_label)}</text>',
        f'<line x1="{_LEFT}" y1="{_H - _BOTTOM}" x2="{_W - _RIGHT}" y2="{_H - _BOTTOM}" stroke="#333"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_H - _BOTTOM}" stroke="#333"/>',
    ]


def _legend(servers: Sequence[str], colours: dict[str, str]) -> list[str]:
    out = []
    x = _W - _RIGHT - 150
    for row, server in enumerate(servers):
        y = _TOP + 4 + row * 14
        out.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colours[server]}"/>')
        out.append(f'<text x="{x + 14}" y="{y + 9}">{escape(server[:24])}</text>')
    return out


def _distribution(results: Sequence[PhaseResult], colours: dict[str, str]) -> str:
    """Share of calls per log-spaced latency bin, one polyline per server."""
    populated = [r for r in results if r.histogram.count]
    parts = _frame(f"Latency distribution: {results[0].phase}", "latency (log scale)", "share of calls")
    if not populated:
        return "\n".join([*parts, "</svg>"])
    low = max(min(r.histogram.min for r in populated) / 1e6, 1e-3)
    high = max(max(r.histogram.max for r in populated) / 1e6, low * 1.01)
    bins = 60
    span = math.log10(high) - math.log10(low)
    series: dict[str, list[float]] = {}
    for result in populated:
        shares = [0.0] * bins
        for lo_ns, hi_ns, count in result.histogram.buckets():
            middle = max((lo_ns + hi_ns) / 2e6, low)
            where = min(bins - 1, int((math.log10(middle) - math.log10(low)) / span * bins))
            shares[where] += count / result.histogram.count
        series[result.server] = shares
    peak = max(max(shares) for shares in series.values()) or 1.0
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x_of(ms: float) -> float:
        return _LEFT + (math.log10(ms) - math.log10(low)) / span * plot_w

    for tick in _log_ticks(low, high):
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{_H - _BOTTOM}" x2="{x:.1f}" y2="{_H - _BOTTOM + 4}" stroke="#333"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{_H - _BOTTOM + 15}" text-anchor="middle">{_fmt_ms(tick)}</text>')
    parts.append(f'<text x="{_LEFT - 4}" y="{_TOP + 8}" text-anchor="end">{peak:.0%}</text>')
    for server, shares in series.items():
        points = []
        for index, share in enumerate(shares):
            x = _LEFT + (index + 0.5) / bins * plot_w
            y = _H - _BOTTOM - share / peak * plot_h
            points.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<polyline fill="none" stroke="{colours[server]}" stroke-width="1.6"'
            f' points="{" ".join(points)}"/>'
        )
    parts += _legend(list(series), colours)
    return "\n".join([*parts, "</svg>"])


def _over_time(results: Sequence[PhaseResult], colours: dict[str, str]) -> str:
    """p99 (solid) and p50 (dashed) of each interval, log latency axis, one colour per server."""
    parts = _frame(f"Latency over the run: {results[0].phase}", "seconds into the phase", "latency (log)")
    points = [
        (b["t_s"], b[key]) for r in results for b in r.timeline for key in ("p50_ms", "p99_ms") if b[key] > 0
    ]
    if not points:
        return "\n".join([*parts, "</svg>"])
    end = max(t for t, _ in points) + 0.1
    low = max(min(v for _, v in points), 1e-3)
    high = max(*(v for _, v in points), low * 1.01)
    span = math.log10(high) - math.log10(low)
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def y_of(ms: float) -> float:
        return _H - _BOTTOM - (math.log10(max(ms, low)) - math.log10(low)) / span * plot_h

    for tick in _log_ticks(low, high):
        y = y_of(tick)
        parts.append(f'<line x1="{_LEFT - 4}" y1="{y:.1f}" x2="{_LEFT}" y2="{y:.1f}" stroke="#333"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt_ms(tick)}</text>')
    step = max(0.1, round(end / 5, 1))
    tick = 0.0
    while tick <= end:
        x = _LEFT + tick / end * plot_w
        base = _H - _BOTTOM
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" stroke="#333"/>')
        parts.append(f'<text x="{x:.1f}" y="{base + 15}" text-anchor="middle">{tick:g} s</text>')
        tick = round(tick + step, 3)
    for result in results:
        for key, dash in (("p99_ms", ""), ("p50_ms", ' stroke-dasharray="4 3"')):
            line = [
                f"{_LEFT + (b['t_s'] + 0.05) / end * plot_w:.1f},{y_of(b[key]):.1f}"
                for b in result.timeline
                if b[key] > 0
            ]
            if line:
                parts.append(
                    f'<polyline fill="none" stroke="{colours[result.server]}" stroke-width="1.4"{dash}'
                    f' points="{" ".join(line)}"/>'
                )
    parts += _legend(list(dict.fromkeys(r.server for r in results)), colours)
    return "\n".join([*parts, "</svg>"])


def _throughput(results: Sequence[PhaseResult], colours: dict[str, str]) -> str:
    """Requests per second, one group of bars per phase, one bar per server."""
    parts = _frame("Throughput per phase", "phase", "requests/s")
    phases = list(dict.fromkeys(r.phase for r in results))
    servers = list(dict.fromkeys(r.server for r in results))
    peak = max((r.throughput_rps for r in results), default=0.0) or 1.0
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    group = plot_w / max(len(phases), 1)
    bar = group * 0.8 / max(len(servers), 1)
    parts.append(f'<text x="{_LEFT - 4}" y="{_TOP + 8}" text-anchor="end">{peak:,.0f}</text>')
    for p, phase in enumerate(phases):
        x0 = _LEFT + p * group + group * 0.1
        parts.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{_H - _BOTTOM + 15}" text-anchor="middle">'
            f"{escape(phase)}</text>"
        )
        for s, server in enumerate(servers):
            found = next((r for r in results if r.phase == phase and r.server == server), None)
            if found is None:
                continue
            height = found.throughput_rps / peak * plot_h
            x = x0 + s * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{_H - _BOTTOM - height:.1f}" width="{bar * 0.9:.1f}"'
                f' height="{height:.1f}" fill="{colours[server]}">'
                f"<title>{escape(server)}: {found.throughput_rps:,.0f} req/s</title></rect>"
            )
    parts += _legend(servers, colours)
    return "\n".join([*parts, "</svg>"])


def render_html(results: Sequence[PhaseResult], title: str = "mcpcore bench") -> str:
    """The whole page."""
    servers = list(dict.fromkeys(r.server for r in results))
    colours = {server: _COLOURS[i % len(_COLOURS)] for i, server in enumerate(servers)}
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(time.strftime('%Y-%m-%d %H:%M %Z'))}; workload: "
        f"{escape(results[0].workload if results else '-')}; latency in open-loop phases is measured"
        " from each call's scheduled send time.</p>",
        f"<pre>{escape(format_table(results))}</pre>",
        _throughput(results, colours),
    ]
    for phase in dict.fromkeys(r.phase for r in results):
        group = [r for r in results if r.phase == phase]
        body += [f"<h2>{escape(phase)}</h2>", _distribution(group, colours), _over_time(group, colours)]
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:820px}pre{font-size:11px;overflow-x:auto}"
        "svg{display:block;margin:1em 0}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
