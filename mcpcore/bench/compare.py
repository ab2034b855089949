"""``--compare NAME=CMD_OR_URL …``: several servers, the same workload, interleaved rounds, medians, ratios.

Each entry is ``NAME=WHAT``:

* ``WHAT`` starting with ``http://`` is a running server's endpoint;
* otherwise ``WHAT`` is a command, one shell-quoted argument split with
  :func:`shlex.split`. If it contains ``{port}`` (or ``{url}``), it is an
  HTTP server: each round the bench picks a free loopback port, puts it in
  the command, spawns it and measures ``http://127.0.0.1:PORT/mcp``
  (``--path`` changes ``/mcp``; ``{url}`` becomes that whole URL).
  Without a placeholder it is a stdio server.

Rounds rotate the order (A B C, then B C A, …) so that whatever drifts on
the machine during the run (other load, thermal state, caches) falls on
every server alike; each figure is the median over rounds, and each server's
p50 and throughput are divided by the first server's in the same phase.
A server that fails is dropped from later rounds, and its error reported.
"""

from __future__ import annotations

import shlex
import socket
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

from mcpcore.bench.report import add_ratios
from mcpcore.bench.results import PhaseResult, median_phase
from mcpcore.bench.run import Settings, Target, run_target

__all__ = ["Entry", "free_port", "parse_entry", "run_compare"]


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Entry:
    """One server of a comparison, before its per-round port is chosen."""

    name: str
    argv: list[str] | None = None
    url: str | None = None
    pid: int | None = None
    path: str = "/mcp"

    @property
    def spawns_http(self) -> bool:
        return self.argv is not None and any("{port}" in a or "{url}" in a for a in self.argv)

    @property
    def transport(self) -> str:
        return "http" if self.url or self.spawns_http else "stdio"

    def target(self) -> Target:
        """This round's :class:`Target` (a fresh port for a spawned HTTP server)."""
        if not self.spawns_http:
            return Target(self.name, argv=self.argv, url=self.url, pid=self.pid)
        assert self.argv is not None
        port = free_port()
        url = f"http://127.0.0.1:{port}{self.path}"
        argv = [a.replace("{port}", str(port)).replace("{url}", url) for a in self.argv]
        return Target(self.name, argv=argv, url=url)


def parse_entry(spec: str, *, path: str = "/mcp") -> Entry:
    """``NAME=CMD_OR_URL`` as an :class:`Entry`; ``ValueError`` when it is not one."""
    name, sep, what = spec.partition("=")
    name, what = name.strip(), what.strip()
    if not sep or not name or not what:
        raise ValueError(f"--compare wants NAME=COMMAND or NAME=URL, not {spec!r}")
    if what.startswith(("http://", "https://")):
        return Entry(name, url=what, path=path)
    argv = shlex.split(what)
    if not argv:
        raise ValueError(f"--compare {name}: empty command")
    return Entry(name, argv=argv, path=path)


def run_compare(
    entries: Sequence[Entry], settings: Settings, *, rounds: int = 1
) -> tuple[list[PhaseResult], dict[str, str]]:
    """Medians per server and phase, and ``{server: why}`` for failures.

    Results are grouped by phase (servers in the order given), so a table
    reads as one comparison per load level; ratios are to the first server.
    """
    runs: dict[str, list[list[PhaseResult]]] = {entry.name: [] for entry in entries}
    failures: dict[str, str] = {}
    live = list(entries)
    for number in range(rounds):
        shift = number % max(len(live), 1)
        for entry in live[shift:] + live[:shift]:
            if entry.name in failures:
                continue
            if len(entries) > 1 or rounds > 1:
                print(f"[round {number + 1}/{rounds}] {entry.name}", file=sys.stderr, flush=True)
            try:
                runs[entry.name].append(run_target(entry.target(), settings))
            except Exception as exc:
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                print(f"  {entry.name} failed: {detail}", file=sys.stderr, flush=True)
                failures[entry.name] = detail
    medians: list[PhaseResult] = []
    for entry in entries:
        done = runs[entry.name]
        if not done:
            continue
        for index in range(len(done[0])):
            medians.append(median_phase([phases[index] for phases in done if index < len(phases)]))
    phases = list(dict.fromkeys(result.phase for result in medians))
    order = {entry.name: index for index, entry in enumerate(entries)}
    medians.sort(key=lambda result: (phases.index(result.phase), order[result.server]))
    if len(entries) > 1:
        add_ratios(medians)
    return medians, failures
