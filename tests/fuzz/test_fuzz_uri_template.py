"""RFC 6570 templates under arbitrary text; expansion and matching are inverses.

Invariants: any template text either parses or raises UriTemplateError;
matching any URI returns None or a dict of strings; expanding values and
matching the result gives the values back; matching a long hostile URI costs
time linear in its length (the URI comes from the peer).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpcore.registry.uri_template import UriTemplate, UriTemplateError
from tests.fuzz._support import fuzz
from tests.helpers import ROOT

_template_text = st.lists(
    st.one_of(
        st.text(max_size=6),
        st.sampled_from(
            [
                "{",
                "}",
                "{a}",
                "{+b}",
                "{#c}",
                "{.d}",
                "{/e,f}",
                "{;g}",
                "{?h,i}",
                "{&j}",
                "{k:3}",
                "{l*}",
                "{=x}",
                "{%41}",
                "{a.b}",
                "{",
                "://",
                "/",
                "?",
            ]
        ),
    ),
    max_size=8,
).map("".join)


@fuzz
@given(template=_template_text, uri=st.text(max_size=40))
def test_any_template_parses_or_is_refused_and_any_uri_matches_or_not(template: str, uri: str) -> None:
    try:
        parsed = UriTemplate(template)
    except UriTemplateError:
        return
    for candidate in (uri, parsed.template, parsed.expand(dict.fromkeys(parsed.variables, uri))):
        found = parsed.match(candidate)
        assert found is None or all(type(k) is str and type(v) is str for k, v in found.items())
        if found is not None:
            assert set(found) <= set(parsed.variables)


_value = st.text(max_size=12)


def _walks(value: str) -> bool:
    return "\x00" in value or "/" in value or "\\" in value or value in (".", "..")


@fuzz
@given(
    values=st.fixed_dictionaries({"a": _value, "b": _value, "c": _value}),
    shape=st.sampled_from(
        [
            "x://{a}",
            "x://{a}/{b}",
            "x://{+a}",
            "x://items/{a}{?b,c}",
            "x://{a}{/b}",
            "x://h{#a}",
        ]
    ),
)
def test_matching_an_expansion_gives_the_values_back(values: dict[str, str], shape: str) -> None:
    template = UriTemplate(shape)
    uri = template.expand(values)
    found = template.match(uri)
    if any(_walks(value) for value in values.values()):
        assert found is None or not any("\x00" in value for value in found.values()), (uri, found)
        return  # values that could walk a path are refused by design (see uri_template's doc)
    if shape in ("x://{+a}", "x://h{#a}"):
        return  # reserved expansion keeps '?', '#' and '%XX' as they are: not invertible for every text
    assert found is not None, uri
    for name in template.variables:
        if values[name] == "":
            continue  # an empty value may legitimately disappear (``{/b}``, ``{?b}``)
        assert found.get(name) == values[name], (uri, found)


def test_a_path_parameter_after_a_simple_variable_is_matched_as_such() -> None:
    assert UriTemplate("x://{a}{;b}").match("x://p;b=0") == {"a": "p", "b": "0"}


def test_a_query_continuation_after_a_query_expression_is_matched() -> None:
    assert UriTemplate("x://q{?a}{&b}").match("x://q?a=1&b=0") == {"a": "1", "b": "0"}


def _match_seconds(template: str, uri: str) -> float:
    compiled = UriTemplate(template)
    start = time.perf_counter()
    compiled.match(uri)
    return time.perf_counter() - start


@pytest.mark.parametrize(
    ("template", "filler"),
    [("x://{a}", "a"), ("file:///{+path}", "a/"), ("w://{city}/forecast{?days}", "a"), ("x://{a}/{b}", "b")],
)
def test_matching_a_long_uri_is_fast(template: str, filler: str) -> None:
    """A 1 MiB URI against templates whose variables cannot overlap: well under a second."""
    assert _match_seconds(template, "x://" + filler * (1 << 20) + "!") < 1.0


@pytest.mark.parametrize("template", ["x://{a}-{b}!", "x://{+a}-{+b}-{+c}!", "x://{a}.{b}.{c}.{d}!"])
def test_matching_a_hostile_uri_against_adjacent_variables_is_fast(template: str) -> None:
    """Run in a child process: a backtracking regex cannot be interrupted in this one."""
    script = (
        "from mcpcore.registry.uri_template import UriTemplate; "
        f"UriTemplate({template!r}).match('x://' + '-' * 100_000)"
    )
    try:
        subprocess.run([sys.executable, "-c", script], timeout=2.0, check=True, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"matching a 100 kB URI against {template} took more than 2 s")


@pytest.mark.parametrize("template", ["x://{+a}{+b}{+c}!", "x://{a}{b}", "x://{a}{+b}"])
def test_expressions_nothing_tells_apart_are_refused(template: str) -> None:
    """``{a}{b}`` has no way to split a URI between its variables: refused when parsed, not guessed."""
    with pytest.raises(UriTemplateError, match="adjacent expressions"):
        UriTemplate(template)
