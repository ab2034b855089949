"""The bench's outputs as text: a table for people, ``--json`` and ``--csv`` for tools.

The table picks its unit (µs or ms) from the figures, so a 20 µs server
and a 20 ms tool both read naturally; JSON and CSV are always milliseconds.
``--json`` prints ``{"results": [ … ]}``, one entry per phase and server
(:meth:`PhaseResult.to_json`). In a comparison each entry also has
``ratio``: its p50 and throughput over the first server's in the same phase.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import orjson

from mcpcore.bench.results import PhaseResult

__all__ = ["CSV_FIELDS", "add_ratios", "format_table", "to_csv", "to_json_document"]

CSV_FIELDS = (
    "name",
    "server",
    "phase",
    "transport",
    "mode",
    "session",
    "protocol",
    "concurrency",
    "rate",
    "requests",
    "errors",
    "duration_s",
    "throughput_rps",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p999_ms",
    "max_ms",
    "mean_ms",
    "cold_start_ms",
    "cpu_us_per_request",
    "rss_mib",
    "p50_ratio",
    "throughput_ratio",
)


def add_ratios(results: Sequence[PhaseResult]) -> None:
    """Set each result's ``ratio`` against the first server's result in the same phase."""
    first_server = results[0].server if results else ""
    base = {r.phase: r for r in results if r.server == first_server}
    for result in results:
        reference = base.get(result.phase)
        if reference is None:
            continue
        p50 = reference.latency_ms["p50"]
        throughput = reference.throughput_rps
        result.ratio = {
            "p50": result.latency_ms["p50"] / p50 if p50 else 0.0,
            "throughput": result.throughput_rps / throughput if throughput else 0.0,
        }


def format_table(results: Sequence[PhaseResult], *, markdown: bool = False) -> str:
    """One row per result: load, counts, throughput, percentiles, server CPU and RSS, and ratios."""
    if not results:
        return "(no results)"
    micro = max(r.latency_ms["p99"] for r in results) < 10.0  # one unit per table, whole numbers readable
    unit, scale = ("us", 1000.0) if micro else ("ms", 1.0)
    ratios = any(r.ratio is not None for r in results)
    header = ["server", "phase", "requests", "errors", "req/s"]
    header += [f"{key} {unit}" for key in ("p50", "p90", "p99", "p99.9", "max")]
    header += ["CPU us/req", "RSS MiB", "cold start ms"]
    if ratios:
        header += [f"p50 / {results[0].server}", f"req/s / {results[0].server}"]
    rows = [header]
    for r in results:
        lat = r.latency_ms
        row = [r.server, r.phase, f"{r.requests:,}", str(r.errors), f"{r.throughput_rps:,.0f}"]
        row += [_figure(lat[key] * scale) for key in ("p50", "p90", "p99", "p999", "max")]
        row += [
            f"{r.cpu_us_per_request:.1f}" if r.cpu_us_per_request else "-",
            f"{r.rss_mib:.1f}" if r.rss_mib else "-",
            f"{r.cold_start_ms:.0f}" if r.cold_start_ms else "-",
        ]
        if ratios:
            row += [f"{r.ratio['p50']:.2f}x", f"{r.ratio['throughput']:.2f}x"] if r.ratio else ["-", "-"]
        rows.append(row)
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = ["  ".join(_align(i, cell, widths[i]) for i, cell in enumerate(row)) for row in rows]
    text.insert(1, "  ".join("-" * w for w in widths))
    notes = [
        f"  {r.name}: {count} x {why}" for r in results for why, count in list(r.error_samples.items())[:3]
    ]
    return "\n".join(text + (["", "errors:", *notes] if notes else []))


def _align(column: int, cell: str, width: int) -> str:
    return cell.ljust(width) if column < 2 else cell.rjust(width)


def _figure(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def to_json_document(results: Sequence[PhaseResult], **extra: Any) -> bytes:
    """``{"results": [...], **extra}`` as indented JSON."""
    document = {"results": [r.to_json() for r in results], **extra}
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def to_csv(results: Sequence[PhaseResult]) -> str:
    """One CSV row per result (:data:`CSV_FIELDS`), milliseconds."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        lat = r.latency_ms
        writer.writerow(
            {
                "name": r.name,
                "server": r.server,
                "phase": r.phase,
                "transport": r.transport,
                "mode": r.mode,
                "session": r.session,
                "protocol": r.protocol,
                "concurrency": r.concurrency,
                "rate": "" if r.rate is None else r.rate,
                "requests": r.requests,
                "errors": r.errors,
                "duration_s": f"{r.duration_s:.6f}",
                "throughput_rps": f"{r.throughput_rps:.3f}",
                "p50_ms": f"{lat['p50']:.6f}",
                "p90_ms": f"{lat['p90']:.6f}",
                "p99_ms": f"{lat['p99']:.6f}",
                "p999_ms": f"{lat['p999']:.6f}",
                "max_ms": f"{lat['max']:.6f}",
                "mean_ms": f"{lat['mean']:.6f}",
                "cold_start_ms": f"{r.cold_start_ms:.3f}",
                "cpu_us_per_request": f"{r.cpu_us_per_request:.3f}",
                "rss_mib": f"{r.rss_mib:.2f}",
                "p50_ratio": f"{r.ratio['p50']:.4f}" if r.ratio else "",
                "throughput_ratio": f"{r.ratio['throughput']:.4f}" if r.ratio else "",
            }
        )
    return out.getvalue()
