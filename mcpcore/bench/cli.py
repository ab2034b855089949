"""The ``mcpcore bench`` command line: targets, what to call, how to load, what to write.

Older option names stay as aliases (listed in ``--help``): ``--inflight``
and ``--clients`` are ``--concurrency``, ``--seconds`` is ``--duration``,
``--runs`` is ``--rounds``. ``--json`` alone prints JSON instead of the
table; ``--json FILE`` writes it and the table still prints (the same
meaning as in ``mcpcore check``); ``--csv`` likewise.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from mcpcore.bench.clients import DEFAULT_VERSION, is_modern
from mcpcore.bench.compare import Entry, parse_entry, run_compare
from mcpcore.bench.html import render_html
from mcpcore.bench.procs import Progress
from mcpcore.bench.report import format_table, to_csv, to_json_document
from mcpcore.bench.run import SESSION_MODES, Settings
from mcpcore.bench.workload import Call, add_call, load_workload

__all__ = ["build_parser", "main"]

STDOUT = "-"

EPILOG = """\
targets:
  mcpcore bench [options] -- COMMAND ARGS...      a stdio server (spawned)
  mcpcore bench [options] URL                     an HTTP server already running
  mcpcore bench [options] URL -- COMMAND ARGS...  spawn COMMAND, then measure it at URL
  mcpcore bench [options] --compare NAME=CMD_OR_URL NAME=CMD_OR_URL ...
      CMD is one shell-quoted argument; a CMD containing {port} (or {url}) is an
      HTTP server: a free port is substituted and it is measured at
      http://127.0.0.1:PORT/mcp (--path changes /mcp).

what to call (default: the add tool, a=counter, b=1, the sum checked):
  --call search '{"q": "mcp"}'     --method resources/read '{"uri": "calc://constants"}'
  --workload mix.json   {"calls": [{"tool": "add", "arguments": {"a": {"$counter": 0}, "b": 1},
                          "weight": 3}, {"method": "tools/list", "params": {}}]}
      templates: {"$counter": START}, {"$choice": [...]}, {"$format": "x/{0}", "args": [...]}

load:
  closed loop: --concurrency 1,16,64 (one phase per level) for --requests N or --duration S
  open loop:   --rate 500,1000 --duration 10; latency counts from each call's scheduled
               send time, so stalls show; --concurrency caps calls in flight (HTTP: connections)

old names (still accepted):
  --inflight, --clients -> --concurrency    --seconds -> --duration    --runs -> --rounds
  --json (no file) prints {"results": [...]}; the old fields (p50_us, throughput) are gone
"""


def _levels(text: str) -> list[int]:
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("levels are positive integers, comma-separated")
    return levels


def _rates(text: str) -> list[float]:
    rates = [float(part) for part in text.split(",") if part.strip()]
    if not rates or min(rates) <= 0:
        raise argparse.ArgumentTypeError("rates are positive numbers, comma-separated")
    return rates


def _json_object(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcpcore bench",
        description="Latency and throughput of any MCP server, with any call, over stdio or HTTP.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("url", nargs="?", help="http:// URL of the MCP endpoint (omit for stdio)")
    what = parser.add_argument_group("what to call")
    what.add_argument(
        "--call", nargs=2, metavar=("TOOL", "ARGS_JSON"), help="call this tool with these arguments"
    )
    what.add_argument("--method", nargs=2, metavar=("METHOD", "PARAMS_JSON"), help="send any other request")
    what.add_argument("--workload", type=Path, help="a JSON (or, on 3.11+, TOML) mix of weighted calls")
    what.add_argument("--tool", default="add", help="the adding tool's name, for the default call (add)")
    load = parser.add_argument_group("load")
    load.add_argument(
        "--concurrency",
        "--inflight",
        "--clients",
        dest="concurrency",
        type=_levels,
        default=None,
        help="closed-loop levels, comma-separated (stdio default 1,16,64; HTTP 1,16)",
    )
    load.add_argument("--rate", type=_rates, default=None, help="open loop: requests/s, comma-separated")
    load.add_argument(
        "--requests", type=int, default=None, help="closed loop: calls per phase (default 5000)"
    )
    load.add_argument(
        "--duration", "--seconds", dest="duration", type=float, default=None, help="seconds per phase"
    )
    load.add_argument("--warmup", default="200", help="calls (N) or seconds (Ns) before measuring (200)")
    load.add_argument("--session", choices=SESSION_MODES, default=None, help="HTTP session mode (reuse)")
    load.add_argument("--protocol", default=None, help=f"protocol version (default {DEFAULT_VERSION})")
    load.add_argument("--timeout", type=float, default=30.0, help="seconds without any answer: fail")
    load.add_argument("--seed", type=int, default=0, help="seed of $choice and of a mix's order")
    load.add_argument("--pin", action="store_true", help="pin client and server CPUs (Linux; see Placement)")
    servers = parser.add_argument_group("servers")
    servers.add_argument("--compare", nargs="+", metavar="NAME=CMD_OR_URL", help="compare several servers")
    servers.add_argument("--rounds", "--runs", dest="rounds", type=int, default=1, help="rounds (medians)")
    servers.add_argument("--pid", type=int, default=None, help="HTTP URL only: server pid for CPU and RSS")
    servers.add_argument("--name", default=None, help="server name in the table")
    servers.add_argument("--path", default="/mcp", help="endpoint path of spawned HTTP servers (/mcp)")
    out = parser.add_argument_group("output")
    out.add_argument(
        "--json", nargs="?", const=STDOUT, default=None, metavar="FILE", help="JSON (alone: stdout)"
    )
    out.add_argument(
        "--csv", nargs="?", const=STDOUT, default=None, metavar="FILE", help="CSV (alone: stdout)"
    )
    out.add_argument("--html", type=Path, default=None, metavar="FILE", help="a self-contained HTML report")
    return parser


def _calls(parsed: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Call]:
    chosen = [option for option in ("call", "method", "workload") if getattr(parsed, option) is not None]
    if len(chosen) > 1:
        parser.error("give one of --call, --method and --workload")
    try:
        if parsed.call is not None:
            tool, arguments = parsed.call[0], _json_object(parsed.call[1])
            return [Call("tools/call", {"name": tool, "arguments": arguments})]
        if parsed.method is not None:
            return [Call(parsed.method[0], _json_object(parsed.method[1]))]
        if parsed.workload is not None:
            return load_workload(parsed.workload)
    except (argparse.ArgumentTypeError, ValueError, OSError) as exc:
        parser.error(str(exc))
    return [add_call(parsed.tool)]


def _settings(parsed: argparse.Namespace, parser: argparse.ArgumentParser, http: bool) -> Settings:
    _calls(parsed, parser)  # refuse bad calls before anything is spawned
    protocol = parsed.protocol or ("2026-07-28" if parsed.session == "stateless" else DEFAULT_VERSION)
    session = parsed.session or ("stateless" if is_modern(protocol) else "reuse")
    if (session == "stateless") != is_modern(protocol):
        parser.error(f"--session {session} does not go with --protocol {protocol}: stateless is 2026-07-28")
    if parsed.concurrency is not None:
        concurrency = parsed.concurrency
    elif parsed.rate:
        concurrency = [64 if http else 1000]
    else:
        concurrency = [1, 16] if http else [1, 16, 64]
    requests = parsed.requests
    duration = parsed.duration
    if parsed.rate and duration is None:
        duration = 10.0
    if requests is None and duration is None:
        requests = 5000
    warmup = str(parsed.warmup).strip()
    try:
        warmup_seconds = float(warmup[:-1]) if warmup.endswith("s") else None
        warmup_requests = 0 if warmup_seconds is not None else int(warmup)
    except ValueError:
        parser.error("--warmup takes a count (200) or seconds (2s)")
    return Settings(
        calls=lambda: _calls(parsed, parser),
        concurrency=concurrency,
        rates=parsed.rate or (),
        requests=requests,
        duration=duration,
        warmup_requests=warmup_requests,
        warmup_seconds=warmup_seconds,
        session=session,
        protocol=protocol,
        timeout=parsed.timeout,
        pin=parsed.pin,
        seed=parsed.seed,
        progress=Progress(),
    )


def _write(where: str, text: str) -> None:
    if where == STDOUT:
        sys.stdout.write(text)
    else:
        Path(where).write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mcpcore bench [options] [URL] [-- command args…]``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in arguments:
        split = arguments.index("--")
        arguments, command = arguments[:split], arguments[split + 1 :]
    parser = build_parser()
    parsed = parser.parse_args(arguments)
    for option in ("json", "csv"):  # "--json URL": the URL is the target, the JSON goes to stdout
        value = getattr(parsed, option)
        if parsed.url is None and value is not None and value.startswith(("http://", "https://")):
            parsed.url = value
            setattr(parsed, option, STDOUT)
    if parsed.json == STDOUT and parsed.csv == STDOUT:
        parser.error("--json and --csv cannot both print to stdout; give one a FILE")
    entries: list[Entry] = []
    if parsed.compare:
        if parsed.url or command:
            parser.error("--compare names every server itself; give no URL or -- command")
        try:
            entries = [parse_entry(spec, path=parsed.path) for spec in parsed.compare]
        except ValueError as exc:
            parser.error(str(exc))
        if len({entry.name for entry in entries}) != len(entries):
            parser.error("--compare names must differ")
    elif parsed.url or command:
        name = parsed.name or (parsed.url if parsed.url and not command else " ".join(command))[:40]
        entries = [Entry(name, argv=command or None, url=parsed.url, pid=parsed.pid)]
    else:
        parser.error("give a URL, a server command after --, or --compare")
    settings = _settings(parsed, parser, http=entries[0].transport == "http")
    results, failures = run_compare(entries, settings, rounds=max(parsed.rounds, 1))
    document = to_json_document(results, failures=failures)
    if parsed.json is not None:
        if parsed.json == STDOUT:
            sys.stdout.buffer.write(document)
        else:
            Path(parsed.json).write_bytes(document)
    if parsed.csv is not None:
        _write(parsed.csv, to_csv(results))
    if parsed.html is not None:
        parsed.html.write_text(render_html(results, title=f"mcpcore bench: {settings.workload().describe()}"))
    if STDOUT not in (parsed.json, parsed.csv):
        print(format_table(results))
        for name, why in failures.items():
            print(f"{name}: FAILED ({why})")
    return 1 if failures else 0
