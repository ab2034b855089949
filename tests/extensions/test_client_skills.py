"""Skills on the client (mcpcore.client.skills): verification of size, digest, frontmatter and listing."""

from __future__ import annotations

import hashlib

import pytest

from mcpcore.client.skills import (
    SkillEntry,
    SkillVerificationError,
    content_bytes,
    verify_file,
    verify_skill_md,
)

SKILL_MD = b"---\nname: pdf-processing\ndescription: Extract PDFs\nmetadata:\n  n: 1\n---\n\nBody.\n"
FORMS = b"Supporting content.\n"
URI = "skill://pdf-processing/SKILL.md"
FORMS_URI = "skill://pdf-processing/references/FORMS.md"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry(frontmatter: dict[str, object] | None = None, skill_md: bytes = SKILL_MD) -> SkillEntry:
    return SkillEntry.from_wire(
        {
            "uri": URI,
            "frontmatter": frontmatter
            or {"name": "pdf-processing", "description": "Extract PDFs", "metadata": {"n": 1}},
            "resources": [
                {"uri": URI, "digest": digest(skill_md), "size": len(skill_md)},
                {"uri": FORMS_URI, "digest": digest(FORMS), "size": len(FORMS)},
            ],
        }
    )


def test_an_intact_skill_loads_with_its_body() -> None:
    loaded = verify_skill_md(entry(), SKILL_MD)
    assert loaded.body == "\nBody.\n" and loaded.text == SKILL_MD.decode()
    verify_file(loaded.entry, FORMS_URI, FORMS)


def test_a_digest_mismatch_is_refused() -> None:
    tampered = SKILL_MD.replace(b"Body.", b"Evil!")
    with pytest.raises(SkillVerificationError, match="digest mismatch") as info:
        verify_skill_md(entry(), tampered)
    assert info.value.uri == URI and "not used" in str(info.value)


def test_a_size_mismatch_is_refused_before_the_digest() -> None:
    with pytest.raises(SkillVerificationError, match="size mismatch: read 21 bytes"):
        verify_file(entry(), FORMS_URI, FORMS + b"!")


def test_a_frontmatter_discrepancy_is_refused_even_when_the_bytes_match() -> None:
    held = entry({"name": "pdf-processing", "description": "Something else", "metadata": {"n": 1}})
    with pytest.raises(SkillVerificationError, match="frontmatter field 'description' differs"):
        verify_skill_md(held, SKILL_MD)


@pytest.mark.parametrize(
    "frontmatter",
    [
        {"name": "pdf-processing", "description": "Extract PDFs", "metadata": {"n": True}},  # 1 is not true
        {"name": "pdf-processing", "description": "Extract PDFs", "metadata": {"n": "1"}},
        {"name": "pdf-processing", "description": "Extract PDFs"},  # a field the entry lacks
        {"name": "pdf-processing", "description": "Extract PDFs", "metadata": {"n": 1}, "extra": None},
    ],
)
def test_field_by_field_comparison_is_strict_about_json_types(frontmatter: dict[str, object]) -> None:
    if "extra" in frontmatter:  # null in the entry and absent in the file: the same JSON reading
        verify_skill_md(entry(frontmatter), SKILL_MD)
        return
    with pytest.raises(SkillVerificationError, match="frontmatter field"):
        verify_skill_md(entry(frontmatter), SKILL_MD)


def test_unreadable_frontmatter_is_a_verification_failure() -> None:
    broken = b"---\nname: a: b\n---\n"
    held = entry(skill_md=broken)
    with pytest.raises(SkillVerificationError, match="unreadable frontmatter: line 2"):
        verify_skill_md(held, broken)


def test_an_unlisted_file_is_refused() -> None:
    with pytest.raises(SkillVerificationError, match="not listed in the held entry"):
        verify_file(entry(), "skill://pdf-processing/references/NEW.md", b"")


def test_a_dynamic_skill_has_nothing_to_verify_but_its_frontmatter() -> None:
    dynamic = SkillEntry.from_wire(
        {"uri": URI, "frontmatter": {"name": "pdf-processing", "description": "x"}, "resources": "dynamic"}
    )
    assert dynamic.dynamic and dynamic.file(URI) is None
    with pytest.raises(SkillVerificationError, match="frontmatter field 'description'"):
        verify_skill_md(dynamic, SKILL_MD)


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("references/FORMS.md", FORMS_URI),
        ("./references/../references/FORMS.md", FORMS_URI),
        (FORMS_URI, FORMS_URI),
    ],
)
def test_relative_paths_resolve_against_the_skill_root(path: str, uri: str) -> None:
    assert entry().resolve(path) == uri


@pytest.mark.parametrize("path", ["../other/SKILL.md", "/etc/passwd", "skill://other/SKILL.md", "."])
def test_paths_leaving_the_skill_are_refused(path: str) -> None:
    with pytest.raises(SkillVerificationError, match="not a file inside the skill"):
        entry().resolve(path)


def test_content_bytes_reads_text_and_blobs() -> None:
    assert content_bytes({"contents": [{"uri": URI, "text": "é"}]}, URI) == "é".encode()
    assert (
        content_bytes({"contents": [{"uri": "other", "text": "x"}, {"uri": URI, "blob": "AAE="}]}, URI)
        == b"\0\1"
    )
    with pytest.raises(SkillVerificationError, match="not valid base64"):
        content_bytes({"contents": [{"uri": URI, "blob": "!!"}]}, URI)
    with pytest.raises(SkillVerificationError, match="no text or blob"):
        content_bytes({"contents": []}, URI)


@pytest.mark.parametrize(
    "entry",
    [
        {"uri": URI, "frontmatter": {"name": "x", "description": "d"}, "resources": "everything"},
        {"uri": URI, "frontmatter": {"name": "x", "description": "d"}},
        {"uri": URI, "frontmatter": {"name": "x"}, "resources": "dynamic"},
        {
            "uri": URI,
            "frontmatter": {"name": "x", "description": "d"},
            "resources": [{"uri": URI, "digest": "d"}],
        },
        {
            "uri": URI,
            "frontmatter": {"name": "x", "description": "d"},
            "resources": [{"uri": URI, "digest": "d", "size": -1}],
        },
        {
            "uri": ["not", "a", "string"],
            "frontmatter": {"name": "x", "description": "d"},
            "resources": "dynamic",
        },
    ],
)
def test_a_malformed_entry_from_a_hostile_server_fails_the_request_not_the_client(
    entry: dict[str, object],
) -> None:
    import asyncio

    from mcpcore import Server
    from mcpcore.client import Client
    from mcpcore.errors import RemoteProtocolError
    from mcpcore.registry.skills import EXTENSION

    server = Server("hostile")
    server.declare_extension(EXTENSION, {})

    @server.method("skills/list")
    def listing(params: dict[str, object], ctx: object) -> dict[str, object]:
        return {"skills": [entry]}

    @server.method("skills/get")
    def get(params: dict[str, object], ctx: object) -> dict[str, object]:
        return {"skill": entry}

    async def scenario() -> None:
        async with Client(server, mode="modern") as client:
            with pytest.raises(RemoteProtocolError):
                await client.list_skills()
            with pytest.raises(RemoteProtocolError):
                await client.get_skill(URI)
            assert await client.ping() is not None  # the session goes on

    asyncio.run(scenario())
