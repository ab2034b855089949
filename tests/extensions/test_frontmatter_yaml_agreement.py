"""mcpcore.frontmatter reads the same values as the `yaml` package the official suite ships with.

The suite's skills scenarios parse SKILL.md frontmatter with the npm `yaml`
package (in ``.node/`` once ``make conformance`` installed the suite); a host
and a server must agree on what a frontmatter says. Skipped when node or the
package is not installed.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from mcpcore.frontmatter import FrontmatterError, parse_yaml_mapping, render_frontmatter
from tests.conformance.run import NODE, SUITES

YAML_PACKAGE = SUITES["0.2.0-alpha.12"] / "node_modules" / "yaml"
SCRIPT = """
const YAML = require(process.argv[1]);
let data = '';
process.stdin.on('data', (chunk) => (data += chunk));
process.stdin.on('end', () => {
  const out = JSON.parse(data).map((doc) => {
    try { return { ok: YAML.parse(doc, { schema: 'core' }) }; } catch (e) { return { err: true }; }
  });
  console.log(JSON.stringify(out));
});
"""

DOCUMENTS = [
    "k: |\n  one\n    two\n\n",
    "k: |-\n  one\n  two",
    "k: |+\n  one\n\n",
    "k: >\n  folded\n  text\n\n  para\n",
    "k: >\n  a\n    indented\n  b\n",
    "k: >-\n  a\n  b\n",
    "k: plain\n  continued\n",
    'k: "esc \\" \\n \\u00e9 \\x41"\n',
    "k: 'it''s'\n",
    "k: a # comment\n",
    "k: ~\n",
    "k:\n",
    "k: True\n",
    "k: yes\n",
    "k: 0x1F\n",
    "k: 0o17\n",
    "k: 012\n",
    "k: +5\n",
    "k: .5\n",
    "k: 1.5e3\n",
    "k: 1_000\n",
    "k: 2.1.0\n",
    "k:\n- a\n- b: 1\n  c: 2\n-\n",
    "k:\n  - x\n  - [1, 2]\n",
    "k: {a: 1, b: [x, 'y']}\n",
    'name: x\ndescription: >\n  Extract, fill, and\n  assemble PDFs\nmetadata:\n  version: "2.1.0"\n',
    render_frontmatter(
        {
            "name": "x",
            "description": "Use it: now # not a comment",
            "n": "123",
            "ctl": "a\tb\nc\x01",
            "m": {"d": [1, None, "a b", {"k": False}]},
            "e": {},
            "é": "ü",
        }
    ),
]


def ours(document: str) -> dict[str, Any]:
    try:
        return {"ok": parse_yaml_mapping(document)}
    except FrontmatterError:
        return {"err": True}


@pytest.mark.skipif(
    not (NODE.exists() and YAML_PACKAGE.exists()), reason="node 22 and the suite not installed"
)
def test_every_document_reads_the_same_in_both_parsers() -> None:
    answer = subprocess.run(
        [str(NODE), "-e", SCRIPT, str(YAML_PACKAGE)],
        input=json.dumps(DOCUMENTS),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    theirs = json.loads(answer.stdout)
    assert [ours(document) for document in DOCUMENTS] == theirs
