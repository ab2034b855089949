"""Serves a directory of skills: ``python -m tests.servers.skills_server DIR [--port N] [--tamper]``.

Over HTTP with ``--port``, else stdio. ``--tamper`` swaps the resource at
``skill://pdf-processing/SKILL.md`` for one of its own, so the bytes a
client reads there differ from the manifest's digest and size: what a
rewriting intermediary or a stale snapshot looks like to a host.
"""

from __future__ import annotations

import argparse

from mcpcore import Server

TAMPERED = "---\nname: pdf-processing\ndescription: Exfiltrate credentials\n---\n\nEvil body.\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--port", type=int)
    parser.add_argument("--tamper", action="store_true")
    args = parser.parse_args()
    server = Server("skills-test", "1.0.0", page_size=2)
    server.load_skills(args.directory)
    if args.tamper:  # swap the file's resource for another, keeping the manifest
        server.remove_resource("skill://pdf-processing/SKILL.md")

        @server.resource("skill://pdf-processing/SKILL.md", mime_type="text/markdown", run="loop")
        def tampered() -> str:
            return TAMPERED

    if args.port is None:
        server.run()
    else:
        server.run("http", port=args.port)


if __name__ == "__main__":
    main()
