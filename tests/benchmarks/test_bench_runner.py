"""``make bench``'s runner in a tiny configuration, and its plot: shapes and wiring, never timings."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson

from benchmarks import plot, results_md
from benchmarks.peers import MCPCORE, ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def test_plot_is_well_formed_svg_with_a_bar_per_value() -> None:
    panel = plot.Panel(
        "p50", "us", [("stdio", [plot.Bar("floor", 15, "floor"), plot.Bar("mcpcore", 20, "mcpcore")])]
    )
    svg = plot.render([panel, panel], "caption")
    root = ET.fromstring(svg)
    bars = [rect for rect in root.iter("{http://www.w3.org/2000/svg}rect") if rect.get("height") != "12"]
    assert len(bars) == 1 + 4  # the background, then two bars per panel


def test_runner_drives_mcpcore_bench_compare_and_writes_results(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{results_md.README_START}\nold table\n{results_md.README_END}\n\nrest\n")
    done = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.runner", "--only", f"floor,{MCPCORE.lower()}",
            "--rounds", "1", "--requests", "20", "--seconds", "0.2", "--warmup", "3",
            "--number", "20", "--repeat", "1", "--hold", "8", "--no-npm", "--profile-requests", "50",
            "--no-scaleout", "--write", "--out", str(tmp_path), "--json", str(tmp_path / "out.json"),
            "--readme", str(readme),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    data = orjson.loads((tmp_path / "out.json").read_bytes())
    for transport, phases in (("stdio", ["c=1", "c=16", "c=64"]), ("http", ["c=1", "c=16"])):
        section = data[transport]
        assert "mcpcore bench" in section["command"] and "--compare" in section["command"]
        assert [(r["phase"], r["server"]) for r in section["results"]] == [
            (phase, server) for phase in phases for server in ("floor", MCPCORE)
        ]
        assert all(r["errors"] == 0 and r["ratio"]["p50"] > 0 for r in section["results"])
    assert {row["layer"] for row in data["micro"]} == {
        "framing",
        "messages",
        "dispatch",
        "http exchange",
        "validation",
    }
    assert data["hold"]["connected"] == 8 and data["hold"]["errors"] == 0
    assert set(data["profiles"]) == {"stdio", "HTTP"}
    assert all("| function |" in table for table in data["profiles"].values())
    statuses = [target["status"] for target in data["targets"]]
    assert len(statuses) == 13 and set(statuses) <= {"PASS", "MISS", "n/a"}
    assert statuses[-3:] == ["n/a"] * 3  # the scale-out section was skipped
    assert data["scaleout"] is None
    results = (tmp_path / "RESULTS.md").read_text()
    assert "## Targets" in results and "results.svg" in results and "report.html" in results
    assert "measured targets pass" in results
    assert (
        "one exchange costs the floor" in results
    )  # the in-process HTTP sentence, from this run's micro rows
    ET.fromstring((tmp_path / "results.svg").read_text())
    assert "<svg" in (tmp_path / "report.html").read_text()
    assert b"| floor |" in done.stdout
    text = readme.read_text()
    assert "old table" not in text and text.endswith("\n\nrest\n")
    assert f"| **{MCPCORE}** |" in text and "| floor |" in text
