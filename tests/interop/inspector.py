"""Install the MCP Inspector CLI (and node 22, which it needs) into .node/, then drive the example.

``make inspector`` runs this: it lists the example's tools and calls ``add`` through the
official Inspector CLI over stdio. ``tests/interop/test_inspector.py`` uses the same install
when it is present.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = ROOT / ".node" / "inspector"
NODE_BIN = PREFIX / "node_modules" / "node" / "bin"
INSPECTOR = PREFIX / "node_modules" / ".bin" / "mcp-inspector"
EXAMPLE = [sys.executable, "-m", "mcpcore.examples.calculator"]


def installed() -> bool:
    return INSPECTOR.exists() and (NODE_BIN / "node").exists()


def install() -> None:
    if installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("inspector: npm is needed to install node 22 and the Inspector")
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(PREFIX),
            "node@22",
            "@modelcontextprotocol/inspector",
        ],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def inspect(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run the Inspector CLI against the example server with node 22 first on PATH."""
    environment = {"PATH": f"{NODE_BIN}:/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(ROOT)}
    return subprocess.run(
        [str(INSPECTOR), "--cli", *EXAMPLE, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def main() -> int:
    install()
    for arguments in (
        ["--method", "tools/list"],
        ["--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=2", "--tool-arg", "b=3"],
    ):
        completed = inspect(*arguments)
        print(completed.stdout, end="")
        if completed.returncode != 0:
            print(completed.stderr, file=sys.stderr)
            return completed.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
