"""The "everything" fixture the official MCP conformance suite expects, in both protocol eras.

Names and behaviour follow ``shared/conformance/FIXTURE.md`` (suite 0.1.16,
2025-11-25 handshake) and ``FIXTURE-2026.md`` (suite 0.2.0-alpha, the
2026-07-28 per-request envelope). One handler serves both eras: the
server-to-client tools (sampling, elicitation, roots) use ``Context.ask`` and
friends, which send real requests on a legacy connection and answer with an
``InputRequiredResult`` (sealed ``requestState``) from 2026-07-28.

Run it over stdio with ``python -m mcpcore.examples.conformance`` (:func:`main`
for HTTP and replicas); ``server`` is the module-level
:class:`mcpcore.Server` a transport may serve. The parts register on it when
imported, in this order (the order ``tools/list`` and ``resources/list`` show):
:mod:`.tools` (FIXTURE.md §4), :mod:`.modern` (the 2026-07-28 tools),
:mod:`.tasks` (the tasks extension), :mod:`.content` (resources, skills,
prompts); :mod:`.base` holds what they share.
"""

from __future__ import annotations

# Imported for their registrations on ``server``, in list order.
from mcpcore.examples.conformance import tools, modern, tasks, content  # noqa: F401  # isort: skip
from mcpcore.examples.conformance.base import server

__all__ = ["main", "server"]


def main(argv: list[str] | None = None) -> None:
    """``python -m mcpcore.examples.conformance [--port N [--host H]] [--redis URL]``: HTTP with a port.

    Without a port it serves stdio. ``--redis`` shares tasks and legacy sessions with the other replicas.
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mcpcore.examples.conformance",
        description="The official conformance suite's fixture server.",
    )
    parser.add_argument("--port", type=int, default=None, help="serve Streamable HTTP at /mcp on this port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--redis", metavar="URL", default=None, help="share tasks and sessions through Redis")
    # For tests: a short runner lease, so a killed replica's tasks are failed quickly.
    parser.add_argument("--lease-ms", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--state-key",
        default=None,
        help="the requestState HMAC key every replica shares (default: $MCPCORE_STATE_KEY, else random)",
    )
    args = parser.parse_args(argv)
    if args.redis:
        options = {} if args.lease_ms is None else {"lease_ms": args.lease_ms}
        server.use_store(args.redis, **options)
    if args.state_key is not None:
        server.use_state_key(args.state_key)
    if args.port is None:
        server.run()
    else:
        server.run("http", host=args.host, port=args.port)
