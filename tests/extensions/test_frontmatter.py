"""The SKILL.md frontmatter parser and renderer (mcpcore.frontmatter): what it reads, what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore.frontmatter import (
    FrontmatterError,
    parse_frontmatter,
    parse_yaml_mapping,
    render_frontmatter,
    split_frontmatter,
)


def doc(body: str) -> str:
    return f"---\n{body}---\n\n# Body\n"


def test_the_agent_skills_fields_and_nesting() -> None:
    text = doc(
        "name: pdf-processing\n"
        "description: Extract, fill, and assemble PDF documents\n"
        "license: Apache-2.0\n"
        "compatibility: Requires python3 # a comment\n"
        "metadata:\n"
        '  version: "2.1.0"\n'
        "  author: 'O''Neil'\n"
        "  nested:\n"
        "    depth: 2\n"
        'allowed-tools: [Bash, "Read", {tool: Grep, max: 3}]\n'
    )
    assert parse_frontmatter(text) == {
        "name": "pdf-processing",
        "description": "Extract, fill, and assemble PDF documents",
        "license": "Apache-2.0",
        "compatibility": "Requires python3",
        "metadata": {"version": "2.1.0", "author": "O'Neil", "nested": {"depth": 2}},
        "allowed-tools": ["Bash", "Read", {"tool": "Grep", "max": 3}],
    }


@pytest.mark.parametrize(
    ("yaml", "value"),
    [
        ("k: |\n  one\n    two\n\n", "one\n  two\n"),
        ("k: |-\n  one\n  two\n", "one\ntwo"),
        ("k: |+\n  one\n\n", "one\n\n"),
        ("k: >\n  folded\n  text\n\n  para\n", "folded text\npara\n"),
        ("k: >-\n  a\n  b\n", "a b"),
        ("k: plain\n  continued\n", "plain continued"),
        ('k: "esc \\" \\n \\u00e9 \\x41"\n', 'esc " \n é A'),
        ("k: ~\n", None),
        ("k:\n", None),
        ("k: true\n", True),
        ("k: False\n", False),
        ("k: 0x1F\n", 31),
        ("k: 0o17\n", 15),
        ("k: -12\n", -12),
        ("k: 1.5e3\n", 1500.0),
        ("k: yes\n", "yes"),  # YAML 1.2 core schema: not a boolean
        ("k: 2.1.0\n", "2.1.0"),
        ("k:\n- a\n- b: 1\n  c: 2\n-\n", ["a", {"b": 1, "c": 2}, None]),
        ("k:\n  - x\n  - [1, 2]\n", ["x", [1, 2]]),
        ("k: []\n", []),
        ("k: {}\n", {}),
        ('"quoted key": 1\n', 1),
    ],
)
def test_scalars_and_collections(yaml: str, value: Any) -> None:
    parsed = parse_yaml_mapping(yaml)
    assert list(parsed.values()) == [value]


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("k: a: b\n", "line 1: a value containing ': ' must be quoted"),
        ("k: 1\nk: 2\n", "line 2: duplicate key 'k'"),
        ("k: &anchor 1\n", "anchors, aliases and tags"),
        ("k: *alias\n", "anchors, aliases and tags"),
        ("k: !tag 1\n", "anchors, aliases and tags"),
        ("\tk: 1\n", "tabs"),
        ("k: [1,\n  2]\n", "flow collections must fit on one line"),
        ('k: "open\n', "unterminated double-quoted"),
        ("k: 'open\n", "unterminated single-quoted"),
        ("k: .inf\n", "cannot be carried in JSON"),
        ("- a\n", "the frontmatter must be a mapping"),
        ("k: 1\n  extra: 2\n", "line 1: a value containing"),
        ("a:\n  b: 1\n c: 2\n", "line 3: unexpected indentation"),
        ("? complex\n", "complex keys"),
        ("k: @x\n", "must be quoted"),
        ('k: "bad \\q"\n', "unknown escape"),
        ("k: |x\n  a\n", "block scalar header"),
        ("# only a comment\n", "the frontmatter is empty"),
    ],
)
def test_refusals_name_the_line_and_the_fix(yaml: str, message: str) -> None:
    with pytest.raises(FrontmatterError, match=message.replace("(", r"\(").replace("*", r"\*")):
        parse_yaml_mapping(yaml)


def test_a_file_without_frontmatter_is_refused() -> None:
    with pytest.raises(FrontmatterError, match="must begin with YAML frontmatter"):
        parse_frontmatter("# Just markdown\n")


def test_split_keeps_the_body_and_ignores_a_bom() -> None:
    front, body = split_frontmatter("\ufeff---\nname: x\n---\r\nbody\n")
    assert (front, body) == ("name: x", "body\n")


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "x", "description": "plain words, with commas"},
        {"name": "x", "description": "Use it: now # not a comment", "n": "123", "t": "true", "e": ""},
        {"name": "x", "description": " padded ", "q": 'it\'s "quoted"', "ctl": "a\tb\nc\x01"},
        {"name": "x", "metadata": {"version": "1.0", "deep": {"list": [1, None, "a b", {"k": False}]}}},
        {"name": "x", "empty": {}, "list": [], "num": 1.5, "neg": -3, "none": None, "é": "ünïcode"},
        {"name": "x", "key with space": 1, "-dash": 2, "true": "key that resolves"},
    ],
)
def test_render_reads_back_as_the_same_fields(fields: dict[str, Any]) -> None:
    assert parse_yaml_mapping(render_frontmatter(fields)) == fields


def test_render_refuses_values_json_cannot_carry() -> None:
    with pytest.raises(TypeError, match="JSON values"):
        render_frontmatter({"name": object()})
