"""The bench's pure parts: the histogram's error bound, templates, response checks, compare specs."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import orjson
import pytest

from mcpcore.bench import Call, Histogram, Workload, add_call, check_response, load_workload, parse_entry


def test_every_value_falls_in_a_bucket_no_wider_than_its_error_bound() -> None:
    histogram = Histogram()
    values = [*range(600), 10**6, 123_456_789, 2**40 + 12345]
    values += [random.Random(3).randrange(1, 10**10) for _ in range(2000)]
    for value in values:
        low, high = histogram.bounds(histogram.index(value))
        assert low <= value < high
        assert high - low <= max(1, value / 128)


def test_percentiles_match_the_sorted_samples_within_half_a_percent() -> None:
    rng = random.Random(1)
    samples = [int(rng.lognormvariate(11, 1.2)) for _ in range(50_000)]
    histogram = Histogram()
    for sample in samples:
        histogram.record(sample)
    samples.sort()
    for fraction in (0.5, 0.9, 0.99, 0.999):
        exact = samples[-int(-fraction * len(samples) // 1) - 1]
        assert abs(histogram.percentile(fraction) - exact) <= exact * 0.005
    assert (histogram.percentile(1.0), histogram.min, histogram.count) == (samples[-1], samples[0], 50_000)
    assert Histogram().percentile(0.5) == 0


def test_histograms_merge_and_survive_json() -> None:
    first, second = Histogram(), Histogram()
    for value in range(1, 1000):
        (first if value % 2 else second).record(value * 1000)
    merged = Histogram.merged([first, second])
    assert (merged.count, merged.min, merged.max) == (999, 1000, 999_000)
    again = Histogram.from_json(orjson.loads(orjson.dumps(merged.to_json())))
    assert again.counts == merged.counts and again.percentile(0.9) == merged.percentile(0.9)
    with pytest.raises(ValueError):
        first.merge(Histogram(sub_bits=4))


def test_templates_count_choose_and_format() -> None:
    call = Call(
        "resources/read",
        {"uri": {"$format": "calc://fib/{0}", "args": [{"$counter": {"start": 3, "step": 2, "mod": 7}}]},
         "pick": {"$choice": ["x", "y"]}, "fixed": [1, {"k": 2}]},
    )  # fmt: skip
    workload = Workload([call], seed=5)
    rendered = [workload.next(i)[1] for i in range(4)]
    assert [r["uri"] for r in rendered] == ["calc://fib/3", "calc://fib/5", "calc://fib/0", "calc://fib/2"]
    assert {r["pick"] for r in rendered} <= {"x", "y"} and rendered[0]["fixed"] == [1, {"k": 2}]
    frame = orjson.loads(workload.next(9)[2])
    assert frame["id"] == 9 and frame["method"] == "resources/read"
    assert Workload([call], seed=5).next(0)[1]["pick"] == rendered[0]["pick"]  # seeded: repeatable


def test_a_mix_follows_its_weights_and_modern_frames_carry_the_envelope() -> None:
    heavy, light = Call("tools/list", {}, weight=9), Call("prompts/list", {}, weight=1)
    workload = Workload(
        [heavy, light], seed=1, meta={"io.modelcontextprotocol/protocolVersion": "2026-07-28"}
    )
    picks = [workload.next(i)[0] for i in range(2000)]
    assert 1600 < picks.count(heavy) < 2000
    frame = orjson.loads(workload.next(1)[2])
    assert frame["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
    assert "tools/list (90%)" in workload.describe()


def test_answers_are_checked() -> None:
    add = add_call()
    params = {"name": "add", "arguments": {"a": 2, "b": 1}}
    good = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": "3"}]}}
    wrong = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": "4"}]}}
    flagged = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {"isError": True, "content": [{"type": "text", "text": "no"}]},
    }
    error = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "bad"}}
    assert check_response(good, add, params) is None
    assert "not 3" in str(check_response(wrong, add, params))
    assert "isError" in str(check_response(flagged, add, params))
    assert "-32602" in str(check_response(error, Call("tools/list"), None))
    assert check_response({"jsonrpc": "2.0", "id": 1}, Call("tools/list"), None) is not None


def test_workload_files(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(orjson.dumps({"calls": [{"tool": "add", "arguments": {"a": 1}}, {"method": "ping"}]}))
    calls = load_workload(path)
    assert [(c.method, c.label) for c in calls] == [("tools/call", "tools/call add"), ("ping", "ping")]
    for bad in ({"calls": []}, {"calls": [{"weight": 2}]}, {"calls": [{"method": 5}]}):
        path.write_bytes(orjson.dumps(bad))
        with pytest.raises(ValueError):
            load_workload(path)
    if sys.version_info >= (3, 11):
        toml = tmp_path / "w.toml"
        toml.write_text('[[calls]]\ntool = "add"\nweight = 2\narguments = { a = 1, b = 2 }\n')
        (call,) = load_workload(toml)
        assert (call.weight, call.params["arguments"]) == (2.0, {"a": 1, "b": 2})


def test_compare_entries() -> None:
    url = parse_entry("remote=http://127.0.0.1:9/mcp")
    assert (url.transport, url.url) == ("http", "http://127.0.0.1:9/mcp")
    stdio = parse_entry("calc=python -m 'my server' --flag")
    assert (stdio.transport, stdio.argv) == ("stdio", ["python", "-m", "my server", "--flag"])
    spawned = parse_entry("web=server --listen {port} --url={url}", path="/rpc")
    target = spawned.target()
    assert spawned.transport == "http" and target.url is not None and target.url.endswith("/rpc")
    port = target.url.split(":")[2].split("/")[0]
    assert target.argv == ["server", "--listen", port, f"--url={target.url}"]
    for bad in ("noequals", "=cmd", "name="):
        with pytest.raises(ValueError):
            parse_entry(bad)


_BURN_IN_A_CHILD = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", '''
import sys, time
while time.process_time() < 0.3:
    pass
print("burnt", flush=True)
sys.stdin.read()
'''], stdout=subprocess.PIPE, stdin=subprocess.PIPE)
print(child.stdout.readline().decode().strip(), flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_server_cpu_counts_the_children_a_pre_forked_server_serves_from() -> None:
    """``--pid`` of a supervisor (``mcpcore run --workers N``) measures its workers too."""
    import subprocess

    from mcpcore.bench import process_cpu_seconds

    parent = subprocess.Popen(
        [sys.executable, "-c", _BURN_IN_A_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == b"burnt"  # the child used 0.3 s of CPU and is alive
        assert process_cpu_seconds(parent.pid) >= 0.29
    finally:
        parent.kill()
        parent.wait(10)
