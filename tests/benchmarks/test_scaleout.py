"""The scale-out section's pure parts: per-round ratios, medians, its targets and its RESULTS.md text.

Figures here are made up; what is checked is that the summary takes the
median of per-round ratios (not the ratio of medians), that targets pass and
miss on their limits, that a section not measured is ``n/a``, and that every
figure the Markdown states comes from the summary it is given.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import scaleout
from benchmarks.results_md import scaleout_section
from benchmarks.scaleout import MEMORY, REDIS, ROUND_TRIP, Config, Record, Section, summarize
from benchmarks.targets import REDIS_P50_LIMIT, WORKER_CPU_GROWTH, scaleout_targets


def _figures(rps: float, cpu: float, p50_ms: float, requests: float = 1000) -> dict[str, float]:
    return {"throughput_rps": rps, "cpu_us_per_request": cpu, "p50_ms": p50_ms, "requests": requests}


def _section(*, cpu_two: tuple[float, ...], task_redis: tuple[float, ...]) -> Section:
    """Rounds where 1 worker costs 50 us a call, and the in-memory store answers in 0.1 ms."""
    section = Section(Config(rounds=len(cpu_two)))
    for number, (cpu, redis) in enumerate(zip(cpu_two, task_redis, strict=True)):
        section.records += [
            Record(number, "workers", "1", _figures(10_000, 50.0, 1.0)),
            Record(number, "workers", "2", _figures(12_000, cpu, 0.9)),
        ]
        section.records.append(Record(number, ROUND_TRIP, REDIS, _figures(0, 0, 0.05)))
        for probe in scaleout.PROBES:
            section.records += [
                Record(number, probe.key, MEMORY, _figures(0, 40, 0.1), {"application/json": 900}),
                Record(number, probe.key, REDIS, _figures(0, 90, redis), {"text/event-stream": 2, "x/y": 1}),
            ]
    section.commands = {"workers server": "python -m mcpcore run X --workers N", "stores bench": "B"}
    return section


def test_ratios_are_medians_of_per_round_ratios() -> None:
    data = summarize(_section(cpu_two=(50.0, 100.0, 52.5), task_redis=(0.12, 0.5, 0.11)))
    assert data["worker_ratios"]["cpu"] == pytest.approx(1.05)  # rounds: 1.0, 2.0, 1.05
    assert data["worker_ratios"]["throughput"] == pytest.approx(1.2)
    assert data["worker_ratios"]["rounds"] == 3
    assert data["workers"]["2"]["cpu_us_per_request"] == pytest.approx(52.5)
    assert data["workers"]["1"]["requests"] == 3000 and data["workers"]["1"]["rounds"] == 3
    rows = {row["call"]: row for row in data["stores"]}
    assert set(rows) == {probe.key for probe in scaleout.PROBES}
    assert rows["task-call"]["p50_ratio"] == pytest.approx(1.2)  # rounds: 1.2, 5.0, 1.1
    assert rows["task-call"]["redis"]["p50_ms"] == pytest.approx(0.12)
    answered = rows["task-call"]["answered_as"]
    assert answered == {MEMORY: ["application/json"], REDIS: ["text/event-stream", "x/y"]}
    assert data["redis_round_trip_ms"] == pytest.approx(0.05)


def test_a_round_missing_one_side_gives_no_ratio() -> None:
    section = _section(cpu_two=(55.0,), task_redis=(0.2,))
    section.records = [r for r in section.records if not (r.group == "tasks-get" and r.server == REDIS)]
    data = summarize(section)
    row = next(row for row in data["stores"] if row["call"] == "tasks-get")
    assert row["p50_ratio"] is None and row["redis"] is None and row["ratio_rounds"] == 0


def _statuses(data: dict[str, Any] | None) -> list[str]:
    return [target.status for target in scaleout_targets(data)]


def test_targets_pass_and_miss_on_their_limits() -> None:
    passing = summarize(_section(cpu_two=(50.0 * WORKER_CPU_GROWTH,), task_redis=(0.1 * REDIS_P50_LIMIT,)))
    assert _statuses(passing) == ["PASS", "PASS", "PASS"]
    missing = summarize(_section(cpu_two=(60.0,), task_redis=(0.5,)))
    assert _statuses(missing) == ["MISS", "MISS", "MISS"]
    found = scaleout_targets(missing)
    assert found[0].ratio == "1.20x" and "60.0 vs 50.0 us CPU per call" in found[0].measured
    assert found[1].ratio == "5.00x" and "500.0 us vs 100.0 us in memory" in found[1].measured
    assert all(target.issue == 11 for target in found)


def test_targets_are_not_applicable_when_the_section_did_not_run() -> None:
    assert _statuses(None) == ["n/a", "n/a", "n/a"]
    data = summarize(_section(cpu_two=(50.0,), task_redis=(0.1,)))
    data["stores"] = []
    data["skipped"] = {"stores": "redis-server is not installed"}
    assert _statuses(data) == ["PASS", "n/a", "n/a"]


def test_the_markdown_states_the_summary_figures() -> None:
    data = summarize(_section(cpu_two=(60.0, 55.0), task_redis=(0.3, 0.2)))
    data["failures"] = {"tasks-get (Redis)": "RuntimeError: boom"}
    text = "\n".join(scaleout_section(data))
    assert "## Scale-out (issue 11)" in text
    assert "| 2 | 12,000 | 57.5 us | 900.0 us | 2,000 |" in text
    assert "1.15x the CPU per call" in text and "1.20x its throughput" in text
    assert "| 100.0 us | 250.0 us | 2.50x | 40 us / 90 us | in memory: `application/json`; Redis: `" in text
    assert "Redis added 150.0 us to the p50 and 50 us of server CPU per call" in text
    # 1.3x of 100 us leaves 30 us over in-memory: 0.60x a 50 us round trip
    assert "took p50 50.0 us in this run" in text and "leaves Redis 30.0 us" in text and "0.60x one" in text
    assert "python -m mcpcore run X --workers N" in text
    assert "- tasks-get (Redis): FAILED (RuntimeError: boom)" in text
    assert scaleout_section(None) == []
