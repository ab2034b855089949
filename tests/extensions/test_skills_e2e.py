"""Skills end to end: mcpcore's Client against a skills server in a real subprocess over HTTP, both loops.

The server (tests/servers/skills_server.py) serves a directory tree written
here, paginating by two; the client lists, loads and reads as a host would,
in both eras. A second server serves a SKILL.md that does not match its
manifest, and the client must refuse it and read nothing further.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpcore.client import Client
from mcpcore.client.skills import SkillVerificationError
from mcpcore.errors import LocalProtocolError, RpcError
from tests.client.peer import run
from tests.conftest import LOOPS
from tests.e2e.test_client_http import free_port, serve
from tests.extensions.tree import FILES, write_tree

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("skills-e2e"))


def start(tree: Path, loop: str, *extra: str) -> tuple[str, object]:
    port = free_port()
    process = serve(["-m", "tests.servers.skills_server", str(tree), "--port", str(port), *extra], port, loop)
    return f"http://127.0.0.1:{port}/mcp", process


@pytest.fixture(scope="module", params=LOOPS)
def skills_http(request: pytest.FixtureRequest, tree: Path) -> Iterator[tuple[str, str]]:
    loop = str(request.param)
    url, process = start(tree, loop)
    try:
        yield url, loop
    finally:
        process.terminate()  # type: ignore[attr-defined]
        process.wait(10)  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", ["legacy", "modern"])
def test_list_load_and_read_over_http(skills_http: tuple[str, str], tree: Path, mode: str) -> None:
    url, loop = skills_http

    async def scenario() -> None:
        async with Client.http(url, mode=mode) as client:
            entries = {entry.uri: entry for entry in await client.list_skills()}  # three pages of two
            assert len(entries) == 4
            pdf = entries["skill://pdf-processing/SKILL.md"]
            assert (
                pdf.name == "pdf-processing"
                and pdf.description == "Extract, fill, and assemble PDF documents\n"
            )
            loaded = await client.load_skill(pdf)
            assert loaded.text == FILES["pdf-processing/SKILL.md"]
            data = await client.read_skill_file(pdf, "templates/regional/eu-invoice.md")
            assert data == (tree / "pdf-processing/templates/regional/eu-invoice.md").read_bytes()
            logo = await client.read_skill_file(entries["skill://acme/billing/refunds/SKILL.md"], "logo.png")
            assert (
                hashlib.sha256(logo).hexdigest()
                == hashlib.sha256(FILES["acme/billing/refunds/logo.png"]).hexdigest()
            )  # type: ignore[arg-type]
            # By URI alone: skills/get first, then the verified read.
            inner = await client.load_skill("skill://git-workflow/inner/SKILL.md")
            assert inner.entry.frontmatter == {"name": "inner", "description": "A nested skill"}
            children = await client.read_directory("skill://pdf-processing/templates")
            assert [c["name"] for c in children] == ["invoice.md", "regional"]
            with pytest.raises(SkillVerificationError, match="not listed"):
                await client.read_skill_file(pdf, "templates/credit-note.md")
            with pytest.raises(RpcError) as info:
                await client.get_skill("skill://nope/SKILL.md")
            assert info.value.code == -32602

    run(scenario(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_tampered_skill_md_is_refused_and_nothing_more_is_read(tree: Path, loop: str) -> None:
    url, process = start(tree, loop, "--tamper")

    async def scenario() -> None:
        async with Client.http(url, mode="modern") as client:
            entries = {entry.uri: entry for entry in await client.list_skills()}
            pdf = entries["skill://pdf-processing/SKILL.md"]
            with pytest.raises(SkillVerificationError, match=r"size mismatch|digest mismatch"):
                await client.load_skill(pdf)
            # The other skills are intact and still load.
            await client.load_skill(entries["skill://git-workflow/SKILL.md"])

    try:
        run(scenario(), loop)
    finally:
        process.terminate()  # type: ignore[attr-defined]
        process.wait(10)  # type: ignore[attr-defined]


def test_skills_methods_need_the_servers_declaration() -> None:
    from mcpcore import Server

    async def scenario() -> None:
        async with Client(Server("plain"), mode="modern") as client:
            with pytest.raises(
                LocalProtocolError, match=r"does not declare the io\.modelcontextprotocol/skills"
            ):
                await client.list_skills()

    run(scenario(), "asyncio")
