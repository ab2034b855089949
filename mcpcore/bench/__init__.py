"""``mcpcore bench``: latency and throughput of any MCP server, with any call, over stdio or HTTP.

The package splits along what a benchmark is made of:

* :mod:`~mcpcore.bench.workload`: what is sent (``--call``, ``--method``,
  ``--workload``, the default ``add``) and how answers are checked;
* :mod:`~mcpcore.bench.clients`: plain blocking stdio and HTTP clients;
* :mod:`~mcpcore.bench.load`: closed- and open-loop load on those clients;
* :mod:`~mcpcore.bench.histogram`: the log-bucket latency histogram;
* :mod:`~mcpcore.bench.run`: one server start to finish; :mod:`~mcpcore.bench.compare`:
  several, in interleaved rounds;
* :mod:`~mcpcore.bench.report` and :mod:`~mcpcore.bench.html`: table, JSON,
  CSV and the HTML page; :mod:`~mcpcore.bench.cli`: the command line.
"""

from __future__ import annotations

from mcpcore.bench.cli import build_parser, main
from mcpcore.bench.clients import HttpBenchClient, HttpResponse, StdioBenchClient
from mcpcore.bench.compare import Entry, free_port, parse_entry, run_compare
from mcpcore.bench.histogram import Histogram
from mcpcore.bench.html import render_html
from mcpcore.bench.procs import Placement, Progress, process_cpu_seconds, process_rss_mib
from mcpcore.bench.report import format_table, to_csv, to_json_document
from mcpcore.bench.results import PhaseResult, median_phase
from mcpcore.bench.run import HoldResult, Settings, Target, hold_http, run_target
from mcpcore.bench.workload import Call, Workload, add_call, check_response, load_workload

__all__ = [
    "Call",
    "Entry",
    "Histogram",
    "HoldResult",
    "HttpBenchClient",
    "HttpResponse",
    "PhaseResult",
    "Placement",
    "Progress",
    "Settings",
    "StdioBenchClient",
    "Target",
    "Workload",
    "add_call",
    "build_parser",
    "check_response",
    "format_table",
    "free_port",
    "hold_http",
    "load_workload",
    "main",
    "median_phase",
    "parse_entry",
    "process_cpu_seconds",
    "process_rss_mib",
    "render_html",
    "run_compare",
    "run_target",
    "to_csv",
    "to_json_document",
]
