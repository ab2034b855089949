"""Skills on the server (mcpcore.registry.skills): loading, the manifest, the three methods, the refusals.

Driven through an in-process ``Client(server)`` in both eras; the HTTP and
stdio subprocess paths are in test_skills_e2e.py.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest

from mcpcore import Server, Skill, SkillError
from mcpcore.client import Client
from mcpcore.errors import RpcError
from mcpcore.frontmatter import parse_frontmatter
from mcpcore.registry.skills import EXTENSION, MAX_SKILL_FILES
from tests.extensions.tree import FILES, write_tree

ERAS = ["legacy", "modern"]


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def call(server: Server, mode: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with Client(server, mode=mode) as client:
            return await client.request(method, params)

    return asyncio.run(go())


def walk(server: Server, mode: str, method: str, key: str, params: dict[str, Any]) -> list[Any]:
    async def go() -> list[Any]:
        items: list[Any] = []
        async with Client(server, mode=mode) as client:
            cursor = None
            while True:
                page = await client.request(method, {**params, **({"cursor": cursor} if cursor else {})})
                items += page[key]
                cursor = page.get("nextCursor")
                if cursor is None:
                    return items

    return asyncio.run(go())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "skills")


@pytest.fixture
def server(tree: Path) -> Server:
    server = Server("skills", page_size=2)
    server.load_skills(tree)
    return server


@pytest.mark.parametrize("mode", ERAS)
def test_the_manifest_lists_every_file_with_its_digest_and_size(
    server: Server, tree: Path, mode: str
) -> None:
    entries = {e["uri"]: e for e in walk(server, mode, "skills/list", "skills", {})}
    assert set(entries) == {
        "skill://pdf-processing/SKILL.md",
        "skill://git-workflow/SKILL.md",
        "skill://git-workflow/inner/SKILL.md",
        "skill://acme/billing/refunds/SKILL.md",
    }
    pdf = entries["skill://pdf-processing/SKILL.md"]
    assert pdf["frontmatter"] == parse_frontmatter(FILES["pdf-processing/SKILL.md"])  # type: ignore[arg-type]
    listed = {r["uri"]: r for r in pdf["resources"]}
    assert pdf["resources"][0]["uri"] == pdf["uri"]  # SKILL.md first
    for relative in (
        "SKILL.md",
        "references/FORMS.md",
        "templates/invoice.md",
        "templates/regional/eu-invoice.md",
    ):
        data = (tree / "pdf-processing" / relative).read_bytes()
        assert listed[f"skill://pdf-processing/{relative}"] == {
            "uri": f"skill://pdf-processing/{relative}",
            "digest": digest(data),
            "size": len(data),
        }
    assert len(listed) == 4  # the hidden file is not served
    # Completeness covers nested skills: the enclosing skill lists the nested one's files too.
    outer = {r["uri"] for r in entries["skill://git-workflow/SKILL.md"]["resources"]}
    assert outer == {"skill://git-workflow/SKILL.md", "skill://git-workflow/inner/SKILL.md"}


@pytest.mark.parametrize("mode", ERAS)
def test_every_listed_file_reads_back_as_the_bytes_the_manifest_describes(server: Server, mode: str) -> None:
    async def go() -> None:
        async with Client(server, mode=mode) as client:
            for entry in await client.list_skills():
                loaded = await client.load_skill(entry)
                assert loaded.entry is entry
                for item in entry.files or ():
                    data = await client.read_skill_file(entry, item.uri)
                    assert (len(data), digest(data)) == (item.size, item.digest)

    asyncio.run(go())


def test_skill_md_resources_carry_the_frontmatter_name_and_description(server: Server) -> None:
    listed = {r["uri"]: r for r in walk(server, "modern", "resources/list", "resources", {})}
    assert listed["skill://acme/billing/refunds/SKILL.md"] == {
        "uri": "skill://acme/billing/refunds/SKILL.md",
        "name": "refunds",
        "description": "Refund per policy",
        "mimeType": "text/markdown",
        "size": len(FILES["acme/billing/refunds/SKILL.md"]),
    }
    logo = call(server, "modern", "resources/read", {"uri": "skill://acme/billing/refunds/logo.png"})
    assert logo["contents"][0]["mimeType"] == "image/png" and "blob" in logo["contents"][0]


def test_the_extension_is_declared_with_directory_read_in_both_eras(server: Server) -> None:
    async def capabilities(mode: str) -> dict[str, Any]:
        async with Client(server, mode=mode) as client:
            return client.server_capabilities

    for mode in ERAS:
        caps = asyncio.run(capabilities(mode))
        assert caps["extensions"][EXTENSION] == {"directoryRead": True}
        assert "resources" in caps  # a server declaring skills also declares resources


def test_a_server_without_skills_does_not_know_the_methods() -> None:
    bare = Server("bare")
    with pytest.raises(RpcError) as info:
        call(bare, "modern", "skills/list", {})
    assert info.value.code == -32601


@pytest.mark.parametrize("mode", ERAS)
def test_skills_get_answers_one_entry_and_32602_for_anything_else(server: Server, mode: str) -> None:
    got = call(server, mode, "skills/get", {"uri": "skill://git-workflow/inner/SKILL.md"})
    assert got["skill"]["frontmatter"] == {"name": "inner", "description": "A nested skill"}
    assert "nextCursor" not in got
    if mode == "modern":
        assert (got["ttlMs"], got["cacheScope"], got["resultType"]) == (0, "private", "complete")
    for uri in (
        "skill://nope/SKILL.md",
        "skill://pdf-processing/references/FORMS.md",
        "skill://pdf-processing",
    ):
        with pytest.raises(RpcError) as info:
            call(server, mode, "skills/get", {"uri": uri})
        assert info.value.code == -32602 and info.value.data == {"uri": uri}


@pytest.mark.parametrize("mode", ERAS)
def test_directory_read_lists_direct_children_and_pages(server: Server, mode: str) -> None:
    children = walk(server, mode, "resources/directory/read", "resources", {"uri": "skill://pdf-processing"})
    assert [(c["name"], c["mimeType"]) for c in children] == [
        ("SKILL.md", "text/markdown"),
        ("references", "inode/directory"),
        ("templates", "inode/directory"),
    ]
    deeper = walk(
        server, mode, "resources/directory/read", "resources", {"uri": "skill://pdf-processing/templates"}
    )
    assert [c["uri"] for c in deeper] == [
        "skill://pdf-processing/templates/invoice.md",
        "skill://pdf-processing/templates/regional",
    ]
    # Prefix levels are directories too, up to the authority.
    acme = walk(server, mode, "resources/directory/read", "resources", {"uri": "skill://acme"})
    assert acme == [{"uri": "skill://acme/billing", "name": "billing", "mimeType": "inode/directory"}]


@pytest.mark.parametrize(
    "uri",
    ["skill://pdf-processing/SKILL.md", "skill://nowhere", "test://elsewhere", "skill://pdf-processing/"],
)
def test_directory_read_of_a_file_or_unknown_uri_is_32602(server: Server, uri: str) -> None:
    if uri.endswith("/"):  # a trailing slash names the same directory
        assert call(server, "modern", "resources/directory/read", {"uri": uri})["resources"]
        return
    with pytest.raises(RpcError) as info:
        call(server, "modern", "resources/directory/read", {"uri": uri})
    assert info.value.code == -32602


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("skills/get", {}),
        ("skills/get", {"uri": 7}),
        ("skills/list", {"cursor": ["x"]}),
        ("skills/list", {"cursor": "not-a-cursor"}),
        ("resources/directory/read", {"uri": None}),
        ("resources/directory/read", {"uri": "skill://pdf-processing", "cursor": {}}),
    ],
)
def test_malformed_params_are_32602(server: Server, method: str, params: dict[str, Any]) -> None:
    with pytest.raises(RpcError) as info:
        call(server, "modern", method, params)
    assert info.value.code == -32602


def test_declared_skills_static_and_dynamic() -> None:
    server = Server("declared")
    calls: list[str] = []

    @server.skill(frontmatter={"license": "MIT"}, files={"notes/a.md": "A\n"}, prefix="team")
    def git_workflow() -> str:
        """Follow the team's Git conventions.

        Longer text that is not the description."""
        calls.append("static")
        return "# Git\n"

    @server.skill(description="Today's report", dynamic=True)
    async def daily() -> str:
        calls.append("dynamic")
        return f"# Report {len(calls)}\n"

    assert calls == ["static"]  # a static skill's body is read once, at registration
    entries = {e["uri"]: e for e in walk(server, "modern", "skills/list", "skills", {})}
    static = entries["skill://team/git-workflow/SKILL.md"]
    assert static["frontmatter"] == {
        "name": "git-workflow",
        "description": "Follow the team's Git conventions.",
        "license": "MIT",
    }
    assert [r["uri"] for r in static["resources"]] == [
        "skill://team/git-workflow/SKILL.md",
        "skill://team/git-workflow/notes/a.md",
    ]
    assert entries["skill://daily/SKILL.md"]["resources"] == "dynamic"
    text = call(server, "modern", "resources/read", {"uri": "skill://daily/SKILL.md"})["contents"][0]["text"]
    assert parse_frontmatter(text) == {"name": "daily", "description": "Today's report"}
    assert text.endswith("# Report 2\n") and calls == ["static", "dynamic"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("skill_md", "message"),
    [
        ("---\nname: other\ndescription: d\n---\n", "last path segment must equal its frontmatter name"),
        ("---\nname: Bad_Name\ndescription: d\n---\n", "naming rule"),
        ("---\nname: ok\n---\n", "non-empty description"),
        ("# no frontmatter\n", "must begin with YAML frontmatter"),
        ("---\nname: ok\ndescription: a: b\n---\n", "line 3: a value containing"),
    ],
)
def test_loading_refuses_a_bad_skill_with_its_path(tmp_path: Path, skill_md: str, message: str) -> None:
    write(tmp_path / "ok" / "SKILL.md", skill_md)
    with pytest.raises(SkillError, match=message) as info:
        Server("bad").load_skills(tmp_path)
    assert "ok" in str(info.value)


def test_loading_refuses_a_skill_past_the_file_limit(tmp_path: Path) -> None:
    write(tmp_path / "big" / "SKILL.md", "---\nname: big\ndescription: d\n---\n")
    for index in range(MAX_SKILL_FILES):
        (tmp_path / "big" / f"f{index}.txt").write_text("x")
    with pytest.raises(SkillError, match="more than 512 files"):
        Server("big").load_skills(tmp_path)


def test_a_symlink_leaving_the_skill_is_not_served(tmp_path: Path) -> None:
    write(tmp_path / "outside.txt", "secret")
    write(tmp_path / "skills" / "s" / "SKILL.md", "---\nname: s\ndescription: d\n---\n")
    (tmp_path / "skills" / "s" / "link.txt").symlink_to(tmp_path / "outside.txt")
    server = Server("links")
    (skill,) = server.load_skills(tmp_path / "skills")
    assert list(skill.files) == ["SKILL.md"]


def test_the_same_skill_twice_is_refused(tree: Path) -> None:
    server = Server("twice")
    server.load_skills(tree)
    with pytest.raises(SkillError, match="already served"):
        server.load_skills(tree / "pdf-processing")


def test_decorator_misuse_is_caught_at_import_time() -> None:
    server = Server("misuse")
    with pytest.raises(TypeError, match="needs its options"):
        server.skill(lambda: "x")  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r"must return the SKILL\.md body as str"):

        @server.skill(description="d")
        def numbers() -> int:
            return 1


@pytest.mark.parametrize("relative", ["../escape.md", "/abs.md", "a//b.md", "./x.md"])
def test_file_paths_must_stay_inside_the_skill(relative: str) -> None:
    from mcpcore.registry.skills import SkillFile

    files = {"SKILL.md": SkillFile.of("SKILL.md", b"x"), relative: SkillFile.of(relative, b"y")}
    skill = Skill(path="s", frontmatter={"name": "s", "description": "d"}, files=files)
    with pytest.raises(SkillError, match="must stay inside the skill"):
        Server("paths").add_skill(skill)
    with pytest.raises(SkillError, match="must stay inside the skill"):
        Server("declared").skill("s", description="d", files={relative: "y"})(lambda: "body")


def test_a_skill_file_cannot_shadow_a_resource_registered_before() -> None:
    server = Server("shadow")

    @server.resource("skill://s/SKILL.md", run="loop")
    def mine() -> str:
        return "not the skill"

    with pytest.raises(SkillError, match=r"a resource is already registered at skill://s/SKILL\.md"):
        server.skill("s", description="d")(lambda: "body")
    assert len(server.skills) == 0
