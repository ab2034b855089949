"""Shared settings and strategies for the fuzz tests.

Every property runs ``MCPCORE_FUZZ_EXAMPLES`` examples (a small number by
default, so the whole directory stays within seconds in CI); ``make fuzz``
raises it for a long run. ``deadline=None`` because one slow example on a busy
CI machine is not a failure: the invariants are about outcomes, not timing.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("MCPCORE_FUZZ_EXAMPLES", "150"))

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("MCPCORE_FUZZ_RANDOM") is None and EXAMPLES <= 1000,
)

#: Bytes that matter to the framers, over-represented so that short inputs still hit the edge cases.
_INTERESTING = [b"\n", b"\r", b"\r\n", b"\r\n\r\n", b" ", b":", b"{", b"}", b'"', b"\x00", b"\xff", b"data:"]

interesting_bytes = st.lists(
    st.one_of(st.binary(max_size=24), st.sampled_from(_INTERESTING)), max_size=40
).map(b"".join)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

#: Values a JSON-RPC member could plausibly (or implausibly) hold: the classifier's inputs.
member_values = st.one_of(
    json_values, st.sampled_from(["2.0", "1.0", "", "ping", "initialize", "tools/call", 0, -1, True])
)

_ENVELOPE_KEYS = ["jsonrpc", "id", "method", "params", "result", "error"]

jsonrpc_like = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(_ENVELOPE_KEYS), member_values, max_size=6),
    st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0")},
        optional={
            "id": st.one_of(
                st.integers(min_value=-(2**63), max_value=2**63 - 1),
                st.text(max_size=6),
                st.none(),
                st.booleans(),
                st.floats(),
            ),
            "method": st.one_of(st.sampled_from(["ping", "tools/list", "tools/call", "x"]), json_scalars),
            "params": st.one_of(st.dictionaries(st.text(max_size=6), json_values, max_size=3), json_values),
            "result": json_values,
            "error": st.one_of(
                st.fixed_dictionaries({"code": st.integers(-(2**31), 2**31), "message": st.text(max_size=8)}),
                json_values,
            ),
        },
    ),
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given positions (sorted, clipped); empty chunks are kept on purpose."""
    points = sorted(min(max(cut, 0), len(data)) for cut in cuts)
    pieces: list[bytes] = []
    start = 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


cuts = st.lists(st.integers(min_value=0, max_value=4096), max_size=12)


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def dumps(value: Any) -> bytes:
    import orjson

    return orjson.dumps(value)
