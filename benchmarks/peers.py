"""The servers the suite measures: the floor, mcpcore (async def, inline, in a thread), and the peers.

Every server offers an equivalent ``add(a: int, b: int) -> int`` tool whose
first text content is the decimal sum. A peer that is not installed (no
``mcp``/``fastmcp`` module, no ``node``/``npm``) is skipped with a note,
never a failure. The TypeScript SDK is installed by :func:`ensure_node_peer`
with npm into ``.bench/node/`` (ignored by git).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / ".bench" / "node"
TS_PACKAGE = "@modelcontextprotocol/sdk"
TS_RANGE = "^1.32"
TS_SERVER = Path(__file__).resolve().parent / "servers" / "ts_sdk_add.mjs"

FLOOR = "floor"
#: The headline: an ``async def`` tool, like every peer's handler (benchmarks/servers/async_add.py).
MCPCORE = "mcpcore async def (uvloop)"
MCPCORE_ASYNCIO = "mcpcore async def (asyncio)"
#: The calculator example: ``add`` inline on the loop (``run="loop"``), which no peer offers.
MCPCORE_INLINE = "mcpcore inline (uvloop)"
#: The same inline ``add`` behind one pass-through middleware on ``tools/call``.
MCPCORE_MIDDLEWARE = "mcpcore inline + 1 middleware (uvloop)"
#: A plain ``def`` tool in its default placement, a worker thread.
MCPCORE_THREAD = "mcpcore def in a thread (uvloop)"
SDK_LOWLEVEL = "mcp SDK (low-level)"
SDK_MCPSERVER = "mcp SDK (MCPServer)"
FASTMCP = "FastMCP"
TS_SDK = "TypeScript SDK (node)"


@dataclass
class ServerSpec:
    """How to start one server; ``http`` holds ``{port}`` where the port goes."""

    name: str
    role: str  # "floor", "mcpcore" or "peer"
    stdio: list[str] | None
    http: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    missing: str | None = None  # why it is skipped, when it is

    def stdio_env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT), **self.env}

    def http_argv(self, port: int) -> list[str]:
        assert self.http is not None
        return [part.replace("{port}", str(port)) for part in self.http]

    def compare_arg(self, http: bool) -> str:
        """This server as one ``mcpcore bench --compare NAME=COMMAND`` argument.

        Its environment goes in front through ``env`` (which execs the server,
        so the pid the bench watches is the server's own); ``{port}`` stays
        in HTTP commands for the bench to fill in.
        """
        argv = self.http if http else self.stdio
        assert argv is not None
        prefix = ["env", *(f"{key}={value}" for key, value in self.env.items())] if self.env else []
        words = [word if word == "{port}" else shlex.quote(word) for word in [*prefix, *argv]]
        return f"{self.name}={' '.join(words)}"


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _module_missing(module: str, extra: str = "bench") -> str | None:
    if importlib.util.find_spec(module) is None:
        return f"`{module}` is not installed (pip install -e '.[{extra}]')"
    return None


def ensure_node_peer(*, install: bool = True) -> str | None:
    """Install the TypeScript SDK into .bench/node/ if needed; None when ready, else why not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        return "node is not on PATH"
    installed = NODE_DIR / "node_modules" / TS_PACKAGE / "package.json"
    if not installed.exists():
        if not install:
            return f"{TS_PACKAGE} is not installed in {NODE_DIR.relative_to(ROOT)}"
        if npm is None:
            return "npm is not on PATH"
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        package = NODE_DIR / "package.json"
        if not package.exists():
            package.write_text('{"name": "mcpcore-bench-peers", "private": true, "type": "module"}\n')
        print(f"installing {TS_PACKAGE}{TS_RANGE} into {NODE_DIR} (npm)...", file=sys.stderr)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", f"{TS_PACKAGE}@{TS_RANGE}"],
            cwd=NODE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not installed.exists():
            return f"npm install {TS_PACKAGE} failed: {done.stderr.decode(errors='replace')[-300:]}"
    shutil.copyfile(TS_SERVER, NODE_DIR / TS_SERVER.name)
    return None


def servers(*, install_node: bool = True) -> list[ServerSpec]:
    """Every server of the suite, in table order (skipped ones carry ``missing``)."""
    py = sys.executable
    port = ["--http", "--port", "{port}"]
    calculator = [py, "-m", "mcpcore.examples.calculator"]
    async_add = [py, "-m", "benchmarks.servers.async_add"]
    thread_add = [py, "-m", "benchmarks.servers.thread_add"]
    middleware_add = [py, "-m", "benchmarks.servers.middleware_add"]
    node = shutil.which("node") or "node"
    uvloop, asyncio = {"MCPCORE_LOOP": "uvloop"}, {"MCPCORE_LOOP": "asyncio"}
    return [
        ServerSpec(
            FLOOR,
            "floor",
            [py, "-m", "benchmarks.servers.floor"],
            [py, "-m", "benchmarks.servers.floor_http", "--port", "{port}"],
        ),
        ServerSpec(MCPCORE, "mcpcore", async_add, [*async_add, *port], uvloop),
        ServerSpec(MCPCORE_ASYNCIO, "mcpcore", async_add, [*async_add, *port], asyncio),
        ServerSpec(MCPCORE_INLINE, "mcpcore", calculator, [*calculator, *port], uvloop),
        ServerSpec(MCPCORE_MIDDLEWARE, "mcpcore", middleware_add, [*middleware_add, *port], uvloop),
        ServerSpec(MCPCORE_THREAD, "mcpcore", thread_add, [*thread_add, *port], uvloop),
        ServerSpec(
            SDK_LOWLEVEL,
            "peer",
            [py, "-m", "benchmarks.servers.sdk_lowlevel"],
            [py, "-m", "benchmarks.servers.sdk_lowlevel", "--http", "--port", "{port}"],
            missing=_module_missing("mcp"),
        ),
        ServerSpec(
            SDK_MCPSERVER,
            "peer",
            [py, "-m", "benchmarks.servers.sdk_mcpserver"],
            None,
            missing=_module_missing("mcp"),
        ),
        ServerSpec(
            FASTMCP,
            "peer",
            [py, "-m", "benchmarks.servers.fastmcp_add"],
            [py, "-m", "benchmarks.servers.fastmcp_add", "--http", "--port", "{port}"],
            missing=_module_missing("fastmcp"),
        ),
        ServerSpec(
            TS_SDK,
            "peer",
            [node, str(NODE_DIR / TS_SERVER.name)],
            None,
            missing=ensure_node_peer(install=install_node),
        ),
    ]


def _distribution(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _node_version() -> str:
    node = shutil.which("node")
    if node is None:
        return "not installed"
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def _redis_server_version() -> str:
    """``redis-server --version``'s ``v=`` field (the Redis the store benchmark starts)."""
    binary = shutil.which("redis-server")
    if binary is None:
        return "not installed"
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    for word in done.stdout.split():
        if word.startswith("v="):
            return word[2:]
    return "unknown"


def _ts_version() -> str:
    package = NODE_DIR / "node_modules" / TS_PACKAGE / "package.json"
    if not package.exists():
        return "not installed"
    import json

    return str(json.loads(package.read_text()).get("version", "unknown"))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, str]:
    """Machine, Python and every measured package's version, for RESULTS.md."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load average at start": f"{load[0]:.2f}",
        "mcpcore": _distribution("mcpcore"),
        "uvloop": _distribution("uvloop"),
        "orjson": _distribution("orjson"),
        "jsonschema": _distribution("jsonschema"),
        "mcp (official Python SDK)": _distribution("mcp"),
        "fastmcp": _distribution("fastmcp"),
        "uvicorn (serves the Python peers' HTTP)": _distribution("uvicorn"),
        "redis-server (the stores' Redis; mcpcore's own client speaks to it)": _redis_server_version(),
        "node": _node_version(),
        f"{TS_PACKAGE} (official TypeScript SDK)": _ts_version(),
    }
