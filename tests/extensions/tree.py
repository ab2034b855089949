"""A skills directory tree on disk for the tests: two top-level skills, a prefixed one and a nested one."""

from __future__ import annotations

from pathlib import Path

PDF_SKILL_MD = """---
name: pdf-processing
description: >
  Extract, fill, and
  assemble PDF documents
license: Apache-2.0
metadata:
  version: "2.1.0"
  tags: [pdf, forms]
---

# PDF processing

Pick the matching template from `templates/`.
"""

FILES = {
    "pdf-processing/SKILL.md": PDF_SKILL_MD,
    "pdf-processing/references/FORMS.md": "# Forms\n\nFill every field.\n",
    "pdf-processing/templates/invoice.md": "# Invoice\n",
    "pdf-processing/templates/regional/eu-invoice.md": "# EU invoice\n",
    "git-workflow/SKILL.md": "---\nname: git-workflow\ndescription: Follow Git conventions\n---\n\nBranch.\n",
    "git-workflow/inner/SKILL.md": "---\nname: inner\ndescription: A nested skill\n---\n\nNested.\n",
    "acme/billing/refunds/SKILL.md": "---\nname: refunds\ndescription: Refund per policy\n---\n\nRefund.\n",
    "acme/billing/refunds/logo.png": b"\x89PNG\r\n\x1a\n\x00\xff",
    "pdf-processing/.hidden": "not served",
}


def write_tree(root: Path) -> Path:
    for relative, content in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
