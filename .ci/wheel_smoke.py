"""Smoke test for the built wheel, run by `make wheel-smoke` with the fresh venv's Python.

The editable install hides packaging mistakes (a module or data file missing
from the wheel, a broken console script), so this imports mcpcore from the
installed wheel, runs the `mcpcore` script, and talks to the example server
over a real pipe. Run it from outside the source tree, so that `import
mcpcore` cannot find the checkout instead of the wheel.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

DEADLINE = 60.0


def main() -> None:
    import mcpcore

    installed = Path(mcpcore.__file__).resolve()
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    assert site in installed.parents, f"mcpcore imported from {installed}, not the wheel in {site}"
    package = installed.parent
    for data in ("py.typed", "check/schemas"):
        assert (package / data).exists(), f"the wheel lacks mcpcore/{data}"
    assert list((package / "check" / "schemas").glob("*.json")), "the wheel has no spec schemas"

    script = Path(sys.executable).parent / "mcpcore"
    version = subprocess.run(
        [str(script), "version"], check=False, capture_output=True, text=True, timeout=DEADLINE
    )
    assert version.returncode == 0 and version.stdout.startswith("mcpcore "), version
    print(version.stdout.strip())

    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "wheel-smoke", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 2, "b": 3}},
        },
    ]
    stdin = "".join(json.dumps(message) + "\n" for message in requests)
    # Closing stdin after the last request is a graceful shutdown: the answers are flushed first.
    served = subprocess.run(
        [sys.executable, "-m", "mcpcore.examples.calculator"],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert served.returncode == 0, served.stderr
    answers = {answer["id"]: answer for answer in map(json.loads, served.stdout.splitlines())}
    assert answers[1]["result"]["serverInfo"]["name"], answers[1]
    assert answers[2]["result"]["content"] == [{"type": "text", "text": "5"}], answers[2]
    print(f"wheel smoke passed: {installed.parent} answered tools/call add(2, 3) = 5 over a pipe")


if __name__ == "__main__":
    main()
