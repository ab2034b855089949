"""Regenerate ``docs/check-reports/``: every report, check or fuzz, written by one writer.

``python -m tests.check.reports [NAME ...]`` runs ``mcpcore check`` against each server and writes
``docs/check-reports/NAME.txt``: the table the command line prints (its first line names the target,
the flags and mcpcore's version; the second the server's own name and version), with the ephemeral
port written ``PORT`` and paths relative to the repository. Nothing is edited by hand, so the check
reports and the fuzz reports share one format.

The peers are installed by their ordinary clients: the official SDK (``mcp``) comes with ``[dev]``;
``pip install fastmcp``; the TypeScript servers with npm into ``.node/`` (``server-everything``) or
by ``make bench`` (``.bench/node/ts_sdk_add.mjs``). A report whose server is missing is skipped with
a note. Fuzz reports take minutes each (an unanswered case waits ``--timeout / 2`` seconds).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "check-reports"
NODE = ROOT / ".node" / "n22" / "node_modules" / "node" / "bin" / "node"
EVERYTHING = ROOT / ".node" / "everything" / "node_modules" / "@modelcontextprotocol" / "server-everything"
TS_ADD = ROOT / ".bench" / "node" / "ts_sdk_add.mjs"
PY = [sys.executable, "-W", "ignore"]
FUZZ = ["--only", "fuzz", "--fuzz", "--timeout", "10"]
PEER_FLAGS = ["--call-tools", "all", "--slow-tool", "sleep:seconds"]
TS_FLAGS = [
    "--call-tools",
    "all",
    "--timeout",
    "15",
    "--slow-tool",
    "trigger-long-running-operation:duration",
]


@dataclass(frozen=True)
class Report:
    #: The server: a stdio command, or (``http``) a command serving ``/mcp`` on ``{port}``.
    command: tuple[str, ...]
    flags: tuple[str, ...]
    http: bool = False
    #: A file that must exist (a node server), or a module that must import.
    needs: str = ""
    env: dict[str, str] = field(default_factory=dict)


def _everything(*args: str) -> tuple[str, ...]:
    return (str(NODE), str(EVERYTHING / "dist" / "index.js"), *args)


REPORTS: dict[str, Report] = {
    "mcpcore-calculator": Report((*PY, "-m", "mcpcore.examples.calculator"), ("--call-tools", "all")),
    "mcpcore-calculator-http": Report(
        (*PY, "-m", "mcpcore.examples.calculator", "--http", "--port", "{port}"),
        ("--call-tools", "all"),
        True,
    ),
    "mcpcore-calculator-fuzz": Report(
        (*PY, "-m", "mcpcore.examples.calculator"), ("--only", "fuzz", "--fuzz")
    ),
    "mcpcore-calculator-http-fuzz": Report(
        (*PY, "-m", "mcpcore.examples.calculator", "--http", "--port", "{port}"),
        ("--only", "fuzz", "--fuzz"),
        True,
    ),
    "python-sdk-mcpserver": Report((*PY, "-m", "tests.servers.sdk_server"), tuple(PEER_FLAGS), needs="mcp"),
    "python-sdk-mcpserver-http": Report(
        (*PY, "-m", "tests.client.sdk_http_server", "{port}"), tuple(PEER_FLAGS), True, needs="mcp"
    ),
    "python-sdk-mcpserver-fuzz": Report((*PY, "-m", "tests.servers.sdk_server"), tuple(FUZZ), needs="mcp"),
    "python-sdk-mcpserver-http-fuzz": Report(
        (*PY, "-m", "tests.client.sdk_http_server", "{port}"), tuple(FUZZ), True, needs="mcp"
    ),
    "fastmcp-stdio": Report((*PY, "-m", "tests.check.fastmcp_server"), tuple(PEER_FLAGS), needs="fastmcp"),
    "fastmcp-http": Report(
        (*PY, "-m", "tests.check.fastmcp_server", "--http", "{port}"),
        tuple(PEER_FLAGS),
        True,
        needs="fastmcp",
    ),
    "fastmcp-stdio-fuzz": Report((*PY, "-m", "tests.check.fastmcp_server"), tuple(FUZZ), needs="fastmcp"),
    "fastmcp-http-fuzz": Report(
        (*PY, "-m", "tests.check.fastmcp_server", "--http", "{port}"), tuple(FUZZ), True, needs="fastmcp"
    ),
    "ts-everything-stdio": Report(_everything("stdio"), tuple(TS_FLAGS), needs=str(EVERYTHING)),
    "ts-everything-http": Report(
        _everything("streamableHttp"), tuple(TS_FLAGS), True, needs=str(EVERYTHING), env={"PORT": "{port}"}
    ),
    "ts-sdk-stdio-fuzz": Report((str(NODE), str(TS_ADD)), tuple(FUZZ), needs=str(TS_ADD)),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing(report: Report) -> str | None:
    if not report.needs:
        return None
    if report.needs.startswith("/"):
        return None if Path(report.needs).exists() else f"{report.needs} is not installed"
    probe = subprocess.run([sys.executable, "-c", f"import {report.needs}"], capture_output=True, check=False)
    return None if probe.returncode == 0 else f"python module {report.needs} is not installed"


def _listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)  # start-up poll bounded by the deadline
    raise SystemExit(f"the server did not listen on {port} within 60 s")


def run(name: str, report: Report) -> str:
    """The report's text: the table ``mcpcore check`` printed, with the port and paths made stable."""
    port = str(free_port())
    command = [part.replace("{port}", port) for part in report.command]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        **{k: v.replace("{port}", port) for k, v in report.env.items()},
    }
    check = [sys.executable, "-m", "mcpcore", "check", *report.flags]
    server = None
    if report.http:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _listening(int(port), server)
        check.append(f"http://127.0.0.1:{port}/mcp")
    else:
        check += ["--", *command]
    try:
        completed = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, timeout=3600, check=False)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    text = completed.stdout.decode()
    for long, short in (
        (f"127.0.0.1:{port}", "127.0.0.1:PORT"),
        (sys.executable, "python"),
        (str(ROOT) + "/", ""),
    ):
        text = text.replace(long, short)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="reports to write (default: all)")
    parser.add_argument("--no-fuzz", action="store_true", help="leave the fuzz reports alone")
    args = parser.parse_args(argv)
    names = args.names or [n for n in REPORTS if not (args.no_fuzz and n.endswith("-fuzz"))]
    unknown = sorted(set(names) - set(REPORTS))
    if unknown:
        parser.error(f"unknown report(s): {', '.join(unknown)}")
    for name in names:
        report = REPORTS[name]
        why = missing(report)
        if why is not None:
            print(f"{name}: skipped ({why})", flush=True)
            continue
        started = time.monotonic()
        text = run(name, report)
        (OUT / f"{name}.txt").write_text(text)
        tail = text.rstrip().splitlines()[-1] if text.strip() else "no output"
        print(f"{name}: {tail} ({time.monotonic() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
