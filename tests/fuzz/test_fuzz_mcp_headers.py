"""The Mcp-Param / Mcp-Name header codec and the header/body check under hostile values.

Invariants: decode_value(anything) is text or ValueError; every value the
client side encodes is a legal header value and decodes back to its text;
check_headers never raises, it answers None or a -32020 HeaderMismatch.
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mcpcore.errors import HEADER_MISMATCH, RpcError
from mcpcore.wire.mcp_headers import check_headers, decode_value, encode_value, header_params
from tests.fuzz._support import fuzz, json_values

_header_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="=?base64ABCabc0123+/", max_size=40),
    st.builds(lambda t: "=?base64?" + t + "?=", st.text(max_size=30)),
)


@fuzz
@given(header=_header_text)
def test_decoding_any_header_value_is_text_or_value_error(header: str) -> None:
    with contextlib.suppress(ValueError):
        assert type(decode_value(header)) is str


@fuzz
@given(value=st.one_of(st.text(max_size=40), st.integers(), st.booleans()))
def test_encoded_values_are_legal_header_values_that_decode_back(value: str | int | bool) -> None:
    encoded = encode_value(value)
    assert all(0x20 <= ord(char) <= 0x7E for char in encoded)
    assert encoded == encoded.strip(" \t")  # no edge white space: proxies may trim it
    expected = ("true" if value else "false") if type(value) is bool else str(value)
    assert decode_value(encoded) == expected


_SCHEMA = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "count": {"type": "integer", "x-mcp-header": "Count"},
        "flag": {"type": "boolean", "x-mcp-header": "Flag"},
        "nested": {"type": "object", "properties": {"deep": {"type": "string", "x-mcp-header": "Deep"}}},
    },
}
_DECLARED = header_params(_SCHEMA)

_headers = st.dictionaries(
    st.sampled_from(
        [
            "mcp-method",
            "mcp-name",
            "mcp-param-region",
            "mcp-param-count",
            "mcp-param-flag",
            "mcp-param-deep",
            "other",
        ]
    ),
    _header_text,
    max_size=6,
)
_body = st.fixed_dictionaries(
    {},
    optional={
        "method": st.one_of(
            st.sampled_from(["tools/call", "prompts/get", "resources/read", "ping"]), json_values
        ),
        "params": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "name": st.one_of(st.just("t"), json_values),
                    "uri": json_values,
                    "arguments": st.one_of(
                        json_values,
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "region": json_values,
                                "count": st.one_of(st.integers(), st.floats(), json_values),
                                "flag": json_values,
                                "nested": st.one_of(
                                    json_values, st.fixed_dictionaries({"deep": json_values})
                                ),
                            },
                        ),
                    ),
                },
            ),
        ),
    },
)


@fuzz
@given(
    headers=_headers,
    body=_body,
    schema=st.one_of(st.just(_SCHEMA), st.dictionaries(st.text(max_size=5), json_values)),
)
def test_check_headers_answers_none_or_header_mismatch(
    headers: dict[str, str], body: dict[str, Any], schema: dict[str, Any]
) -> None:
    declared = header_params(schema)
    outcome = check_headers(headers, body, lambda name: declared if name == "t" else None)
    assert outcome is None or (type(outcome) is RpcError and outcome.code == HEADER_MISMATCH)


@fuzz
@given(
    region=st.text(max_size=20),
    count=st.integers(-(2**53) + 1, 2**53 - 1),
    flag=st.booleans(),
    deep=st.text(max_size=9),
)
def test_headers_a_client_derives_from_the_body_are_accepted(
    region: str, count: int, flag: bool, deep: str
) -> None:
    arguments = {"region": region, "count": count, "flag": flag, "nested": {"deep": deep}}
    headers = {
        "mcp-method": "tools/call",
        "mcp-name": encode_value("t"),
        "mcp-param-region": encode_value(region),
        "mcp-param-count": encode_value(count),
        "mcp-param-flag": encode_value(flag),
        "mcp-param-deep": encode_value(deep),
    }
    body = {"method": "tools/call", "params": {"name": "t", "arguments": arguments}}
    assert check_headers(headers, body, lambda name: _DECLARED) is None
