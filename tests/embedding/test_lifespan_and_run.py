"""Lifespan around a real stdio process, and ``mcpcore run`` finding the user's server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import StdioPeer


def _lifespan_peer(tmp_path: Path, loop_name: str, **env: str) -> tuple[StdioPeer, Path]:
    log = tmp_path / "lifespan.log"
    peer = StdioPeer.spawn(
        ["-m", "tests.servers.lifespan_server"], loop=loop_name, env={"LIFESPAN_LOG": str(log), **env}
    )
    return peer, log


@pytest.mark.parametrize("ending", ["eof", "sigterm"])
def test_the_lifespan_starts_before_serving_and_stops_on_eof_or_sigterm(
    tmp_path: Path, loop_name: str, ending: str
) -> None:
    peer, log = _lifespan_peer(tmp_path, loop_name)
    try:
        peer.initialize()
        assert peer.call("db_state")["result"]["structuredContent"] == {"result": "open"}
        if ending == "eof":
            peer.close_stdin()
        else:
            peer.process.send_signal(signal.SIGTERM)
        assert peer.wait() == 0
    finally:
        peer.kill()
    assert log.read_text().split() == ["start", "stop"]


def test_a_failing_lifespan_exits_non_zero_with_the_error(tmp_path: Path, loop_name: str) -> None:
    peer, log = _lifespan_peer(tmp_path, loop_name, LIFESPAN_FAIL="1")
    try:
        assert peer.wait() == 1
    finally:
        peer.kill()
    assert b"lifespan failed to start" in peer.stderr
    assert b"the database is not there" in peer.stderr
    assert not log.exists()


SERVER_FILE = """
from mcpcore import Server
server = Server("from-a-file")

@server.tool
def hello(name: str) -> str:
    return f"hello {name}"
"""


#: The installed console script: unlike ``python -m``, it does not put the working directory on sys.path.
CONSOLE_SCRIPT = Path(sys.executable).with_name("mcpcore")


def _run(args: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    command = [str(CONSOLE_SCRIPT), *args]
    return subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, env=env, timeout=30, check=False
    )


PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n'


def test_mcpcore_run_finds_a_module_in_the_current_directory_and_a_file_from_anywhere(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "myserver.py").write_text(SERVER_FILE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args, cwd in [
        (["run", "myserver"], app),
        (["run", "myserver:server"], app),
        (["run", "--app-dir", str(app), "myserver"], elsewhere),
        (["run", str(app / "myserver.py")], elsewhere),
        (["run", f"{app / 'myserver.py'}:server"], elsewhere),
    ]:
        done = _run(args, cwd, PING)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout == b'{"jsonrpc":"2.0","id":1,"result":{}}\n', args


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nosuchmodule", b"mcpcore: no module named 'nosuchmodule' (searched "),
        ("myserver:nothing", b"mcpcore: myserver has no attribute 'nothing'"),
        ("missing.py", b"mcpcore: no such file "),
        ("json", b"mcpcore: no mcpcore.Server found at json"),
    ],
)
def test_mcpcore_run_says_in_one_line_what_it_could_not_find(
    tmp_path: Path, target: str, message: bytes
) -> None:
    (tmp_path / "myserver.py").write_text(SERVER_FILE)
    done = _run(["run", target], tmp_path)
    assert done.returncode != 0
    assert done.stderr.startswith(message), done.stderr
    assert done.stderr.count(b"\n") == 1  # one line, no traceback
