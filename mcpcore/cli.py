"""The ``mcpcore`` command (and ``python -m mcpcore``).

``mcpcore run module[:attribute]`` serves a :class:`~mcpcore.Server` found in
a module over stdio; ``mcpcore bench -- command …`` measures any stdio MCP
server; ``mcpcore version`` prints versions.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mcpcore import __version__, versions
from mcpcore.server import Server

__all__ = ["load_server", "main"]


def load_server(target: str) -> Server:
    """Import ``module[:attribute]`` and return the Server it names (default attribute: ``server``)."""
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    if attribute:
        found = getattr(module, attribute, None)
    else:
        found = getattr(module, "server", None) or next(
            (value for value in vars(module).values() if isinstance(value, Server)), None
        )
    if not isinstance(found, Server):
        where = f"{module_name}:{attribute}" if attribute else module_name
        raise SystemExit(f"mcpcore: no mcpcore.Server found at {where}")
    return found


def _run(args: argparse.Namespace) -> int:
    server = load_server(args.target)
    if args.http:
        server.run("http", loop=args.loop, host=args.host, port=args.port, stateless=args.stateless)
        return 0
    server.run(loop=args.loop)
    return 0


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

    run = commands.add_parser("run", help="serve a Server over stdio")
    run.add_argument("target", help="module[:attribute] naming an mcpcore.Server (default attribute: server)")
    run.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default=None, help="event loop (default: uvloop)"
    )
    run.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp instead of stdio")
    run.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default: loopback only)")
    run.add_argument("--port", type=int, default=8000, help="HTTP: port (default: 8000)")
    run.add_argument("--stateless", action="store_true", help="HTTP: no legacy sessions (for replicas)")
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
    args = build_parser().parse_args(arguments)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
