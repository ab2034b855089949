"""The ``mcpcore`` command (and ``python -m mcpcore``).

``mcpcore run module[:attribute]`` (or ``path/to/server.py[:attribute]``)
serves a :class:`~mcpcore.Server` over stdio or HTTP; ``mcpcore bench -- command …`` measures any stdio MCP
server; ``mcpcore version`` prints versions.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from mcpcore import __version__, versions
from mcpcore.server import Server

__all__ = ["load_server", "main"]


def load_server(target: str, app_dir: str | None = None) -> Server:
    """Find the :class:`Server` that ``target`` names and return it.

    ``target`` is ``module[:attribute]`` (imported with ``app_dir``, default
    the current directory, first on ``sys.path``, as uvicorn does), or a file
    path ``path/to/server.py[:attribute]``, which works from any working
    directory (launchers such as Claude Desktop start servers in an arbitrary
    one). Without an attribute, ``server`` is tried, then any Server in the
    module. A missing module, file or attribute exits with one line naming
    what was looked for and where.
    """
    location, attribute = _split_target(target)
    if location.endswith(".py") or os.sep in location or "/" in location:
        module = _import_file(location)
        where = location
    else:
        search = os.path.abspath(app_dir if app_dir is not None else os.getcwd())
        if search not in sys.path:
            sys.path.insert(0, search)
        try:
            module = importlib.import_module(location)
        except ModuleNotFoundError as exc:
            if exc.name != location and not location.startswith(f"{exc.name}."):
                raise  # the module exists; something it imports does not
            raise SystemExit(
                f"mcpcore: no module named {location!r} (searched {search} and sys.path)"
            ) from None
        where = location
    if attribute:
        found = getattr(module, attribute, None)
        if found is None:
            raise SystemExit(f"mcpcore: {where} has no attribute {attribute!r}")
    else:
        found = getattr(module, "server", None) or next(
            (value for value in vars(module).values() if isinstance(value, Server)), None
        )
    if not isinstance(found, Server):
        named = f"{where}:{attribute}" if attribute else where
        raise SystemExit(f"mcpcore: no mcpcore.Server found at {named}")
    return found


def _split_target(target: str) -> tuple[str, str]:
    """``a.b:attr`` or ``/x/y.py:attr`` (a Windows drive letter's colon is not a separator)."""
    location, sep, attribute = target.rpartition(":")
    if not sep or not attribute.isidentifier() or (len(location) == 1 and location.isalpha()):
        return target, ""
    return location, attribute


def _import_file(path: str) -> ModuleType:
    """Import a server file by path, as ``__mcpcore_app__``, with its directory first on ``sys.path``."""
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise SystemExit(f"mcpcore: no such file {full}")
    directory = os.path.dirname(full)
    if directory not in sys.path:
        sys.path.insert(0, directory)  # so the file can import its siblings
    spec = importlib.util.spec_from_file_location("__mcpcore_app__", full)
    if spec is None or spec.loader is None:
        raise SystemExit(f"mcpcore: cannot import {full} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(args: argparse.Namespace) -> int:
    command: list[str] = getattr(args, "command", None) or []
    if args.workers != 1 and not args.http:
        raise SystemExit("mcpcore: --workers goes with --http")
    if args.proxy:
        from mcpcore.proxy import proxy

        if bool(command) == bool(args.target):
            raise SystemExit("mcpcore: --proxy takes a URL, or a command after --, not both")
        server = proxy(args.target or command)
    elif command:
        raise SystemExit("mcpcore: a command after -- goes with --proxy")
    elif not args.target:
        raise SystemExit("mcpcore: run needs a server: module[:attribute] or path/to/file.py[:attribute]")
    else:
        server = load_server(args.target, args.app_dir)
    if args.redis:
        server.use_store(args.redis)
    if args.state_key is not None:
        try:
            server.use_state_key(args.state_key)
        except ValueError as exc:
            raise SystemExit(f"mcpcore: --state-key: {exc}") from None
    if args.http:
        http_options: dict[str, Any] = {}
        if args.allowed_host is not None:
            http_options["allowed_hosts"] = tuple(args.allowed_host)
        server.run(
            "http",
            loop=args.loop,
            host=args.host,
            port=args.port,
            stateless=args.stateless,
            sse=not args.no_sse,
            workers=args.workers,
            **http_options,
        )
        return 0
    server.run(loop=args.loop)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _bench(args: argparse.Namespace) -> int:
    from mcpcore.bench import main as bench_main

    return bench_main(args.rest)


def _check_parser(parser: argparse.ArgumentParser) -> None:
    from mcpcore.check import build_parser as build_check_parser
    from mcpcore.check import main as check_main

    build_check_parser(parser)
    parser.set_defaults(handler=check_main)


def _version(args: argparse.Namespace) -> int:
    print(f"mcpcore {__version__} (protocol versions: {', '.join(versions.SUPPORTED_VERSIONS)})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcpcore", description="A small, fast Model Context Protocol engine."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="serve a Server over stdio or HTTP",
        description="Serve an mcpcore.Server over stdio (the default) or Streamable HTTP (--http).",
    )
    run.add_argument(
        "target",
        nargs="?",
        help="module[:attribute] or path/to/file.py[:attribute] naming an mcpcore.Server "
        "(default attribute: server); with --proxy, the URL of the server to forward to",
    )
    run.add_argument(
        "--proxy",
        action="store_true",
        help="serve a proxy of another MCP server: its URL as the target, or its command after --",
    )
    run.add_argument(
        "--app-dir",
        default=None,
        help="directory put first on sys.path to import module[:attribute] (default: the current one)",
    )
    run.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default=None, help="event loop (default: uvloop)"
    )
    run.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp instead of stdio")
    run.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default: loopback only)")
    run.add_argument(
        "--port",
        type=int,
        default=8000,
        help="HTTP: port (default: 8000; 0: any free one, logged with --workers)",
    )
    run.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="HTTP: serve from N processes sharing the port (SO_REUSEPORT on Linux); "
        "a dead one is restarted, SIGTERM drains them all. Without a shared store each worker keeps "
        "its own state: use 2026-07-28 clients or --stateless (default: 1)",
    )
    run.add_argument("--stateless", action="store_true", help="HTTP: no legacy sessions (for replicas)")
    run.add_argument(
        "--redis",
        metavar="URL",
        default=None,
        help="share state with other replicas through Redis (redis://host:6379/0; needs mcpcore[redis]): "
        "tasks, and over HTTP legacy sessions",
    )
    run.add_argument(
        "--no-sse",
        action="store_true",
        help="HTTP: do not also serve the 2024-11-05 HTTP+SSE transport (GET /sse, POST /messages/)",
    )
    run.add_argument(
        "--allowed-host",
        action="append",
        default=None,
        metavar="NAME",
        help="HTTP: a Host header value clients (or your load balancer) use, e.g. mcp.example.com; "
        "repeat for several (default: loopback names only, the DNS-rebinding guard)",
    )
    run.add_argument(
        "--state-key",
        default=None,
        help="the HMAC key (at least 16 bytes) sealing 2026-07-28 requestState: give every replica "
        "behind a load balancer the same one (default: $MCPCORE_STATE_KEY, else random per process)",
    )
    run.set_defaults(handler=_run)

    bench = commands.add_parser("bench", help="measure latency and throughput of any MCP server")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options, then -- and the server command")
    bench.set_defaults(handler=_bench)

    check = commands.add_parser("check", help="run the conformance battery against any MCP server")
    _check_parser(check)

    version = commands.add_parser("version", help="print versions")
    version.set_defaults(handler=_version)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["bench"]:  # its own options precede "--", which argparse.REMAINDER cannot take
        from mcpcore.bench import main as bench_main

        return bench_main(arguments[1:])
    command: list[str] = []
    if arguments[:1] == ["run"] and "--" in arguments:  # run's own options, then -- and a command
        split = arguments.index("--")
        arguments, command = arguments[:split], arguments[split + 1 :]
    args = build_parser().parse_args(arguments)
    args.command = command
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
