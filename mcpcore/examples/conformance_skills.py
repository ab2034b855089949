"""The conformance fixture's skills (SEP-2640): what the suite's ``sep-2640-*`` server scenarios read.

The scenarios discover everything from ``skills/list`` and ``resources/list``:
the first listed skill's directory must hold a subdirectory (the directory
scenario descends into one), its SKILL.md must be listed as a resource named
and described from its frontmatter, and its frontmatter must read back from
the file exactly as the entry carries it. A second skill under a prefix and a
generated (``"dynamic"``) one cover the other entry forms.
"""

from __future__ import annotations

from mcpcore import Server

FORMS = """# PDF form fields

Fill each field named in the form's AcroForm dictionary; leave the rest empty.
"""

EXTRACT = """import sys

print(open(sys.argv[1], "rb").read()[:4])
"""


def add_skills(server: Server) -> None:
    """Register the fixture's three skills on ``server``."""

    @server.skill(
        description="Extract, fill, and assemble PDF documents",
        frontmatter={"license": "Apache-2.0", "metadata": {"version": "2.1.0"}},
        files={"references/FORMS.md": FORMS, "scripts/extract.py": EXTRACT},
    )
    def pdf_processing() -> str:
        return "# PDF processing\n\nRead `references/FORMS.md` before filling a form.\n"

    @server.skill(description="Process customer refund requests per company policy", prefix="acme/billing")
    def refunds() -> str:
        return "# Refunds\n\nRefund within 30 days of purchase; escalate anything older.\n"

    @server.skill(description="Assemble today's operational report from live data", dynamic=True)
    def daily() -> str:
        return "# Daily report\n\nCollect the overnight alerts, then summarise them by service.\n"
