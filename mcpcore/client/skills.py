"""Skills (SEP-2640) on the client: held entries, and verification of everything read under one.

A server's ``skills/list`` entry is a complete manifest: the skill's
``SKILL.md`` URI, its frontmatter, and every file with a ``sha256:`` digest
and a byte size. The host holds that entry and verifies each file it later
reads against it (sans-I/O: this module takes the entry and the bytes, and
:class:`~mcpcore.Client` does the reading):

* a file's byte length must equal its ``size`` and its SHA-256 its ``digest``;
* a file not listed in the held entry is refused before any read (an
  unlisted file is a change to the skill);
* ``SKILL.md``'s frontmatter, parsed, must equal the entry's field by field.

Any failure raises :class:`SkillVerificationError` and the content is not
returned: the spec's "hosts MUST NOT use the unverified content". The cure
for a stale entry is :meth:`mcpcore.Client.get_skill` and a fresh approval.
Nothing is fetched ahead of need: listing reads no file, loading reads only
``SKILL.md``, and a supporting file is read when asked for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
from dataclasses import dataclass
from typing import Any, Final

from mcpcore.frontmatter import FrontmatterError, parse_frontmatter, split_frontmatter

__all__ = [
    "SKILLS_EXTENSION",
    "LoadedSkill",
    "SkillEntry",
    "SkillFileEntry",
    "SkillVerificationError",
    "content_bytes",
    "verify_file",
    "verify_skill_md",
]

SKILLS_EXTENSION: Final = "io.modelcontextprotocol/skills"
_SKILL_MD: Final = "/SKILL.md"


class SkillVerificationError(Exception):
    """Content read for a skill is not what its held entry describes; it was not used.

    ``uri`` is the file, ``reason`` what differed. Refresh the entry with
    ``get_skill`` (and re-approve: its manifest changed) to go on.
    """

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"{uri}: {reason}; the content was not used (refresh the entry with skills/get)")
        self.uri = uri
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SkillFileEntry:
    """One file of a skill's manifest."""

    uri: str
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class SkillEntry:
    """A skill entry as the server published it (shape already checked by :mod:`mcpcore.inbound`)."""

    uri: str
    frontmatter: dict[str, Any]
    #: The manifest, or ``None`` for a ``"dynamic"`` skill (which offers no content integrity).
    files: tuple[SkillFileEntry, ...] | None

    @classmethod
    def from_wire(cls, value: dict[str, Any]) -> SkillEntry:
        resources = value["resources"]
        files = (
            None
            if resources == "dynamic"
            else tuple(SkillFileEntry(item["uri"], item["digest"], item["size"]) for item in resources)
        )
        return cls(value["uri"], dict(value["frontmatter"]), files)

    @property
    def name(self) -> str:
        return str(self.frontmatter["name"])

    @property
    def description(self) -> str:
        return str(self.frontmatter["description"])

    @property
    def dynamic(self) -> bool:
        return self.files is None

    @property
    def root(self) -> str:
        """The skill's directory URI: its SKILL.md URI without ``/SKILL.md``."""
        return self.uri[: -len(_SKILL_MD)] if self.uri.endswith(_SKILL_MD) else self.uri.rsplit("/", 1)[0]

    def file(self, uri: str) -> SkillFileEntry | None:
        """The manifest entry for ``uri`` (``None``: unlisted, or a dynamic skill)."""
        for item in self.files or ():
            if item.uri == uri:
                return item
        return None

    def resolve(self, path: str) -> str:
        """The URI of ``path`` relative to the skill's root (a full URI inside the skill is kept)."""
        if path.startswith(self.root + "/"):
            return path
        normal = posixpath.normpath(path)
        if "://" in path or normal.startswith(("../", "/")) or normal in ("..", "."):
            raise SkillVerificationError(path, f"not a file inside the skill {self.root}")
        return f"{self.root}/{normal}"


@dataclass(frozen=True, slots=True)
class LoadedSkill:
    """A skill loaded under a held entry: its verified SKILL.md text and the body after the frontmatter."""

    entry: SkillEntry
    text: str
    body: str


def content_bytes(result: dict[str, Any], uri: str) -> bytes:
    """The raw bytes of ``uri`` in a ``resources/read`` result (text as UTF-8, a blob decoded)."""
    for item in result.get("contents") or ():
        if item.get("uri") != uri:
            continue
        text = item.get("text")
        if type(text) is str:
            return text.encode("utf-8")
        blob = item.get("blob")
        if type(blob) is str:
            try:
                return base64.b64decode(blob, validate=True)
            except (binascii.Error, ValueError):
                raise SkillVerificationError(uri, "the blob is not valid base64") from None
    raise SkillVerificationError(uri, "the read returned no text or blob for this URI")


def verify_file(entry: SkillEntry, uri: str, data: bytes) -> None:
    """Check ``data`` read from ``uri`` against the held entry: listed, then size, then digest."""
    if entry.files is None:
        return  # "dynamic": nothing to verify against
    listed = entry.file(uri)
    if listed is None:
        raise SkillVerificationError(uri, f"not listed in the held entry of {entry.uri}")
    if len(data) != listed.size:
        raise SkillVerificationError(
            uri, f"size mismatch: read {len(data)} bytes, the entry says {listed.size}"
        )
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    if digest != listed.digest:
        raise SkillVerificationError(uri, f"digest mismatch: read {digest}, the entry says {listed.digest}")


def verify_skill_md(entry: SkillEntry, data: bytes) -> LoadedSkill:
    """Verify a SKILL.md read under ``entry`` (bytes, then frontmatter field by field) and load it."""
    verify_file(entry, entry.uri, data)
    try:
        text = data.decode("utf-8")
        frontmatter = parse_frontmatter(text)
        _frontmatter, body = split_frontmatter(text)
    except UnicodeDecodeError:
        raise SkillVerificationError(entry.uri, "SKILL.md is not UTF-8 text") from None
    except FrontmatterError as exc:
        raise SkillVerificationError(entry.uri, f"unreadable frontmatter: {exc}") from None
    for key in sorted(set(frontmatter) | set(entry.frontmatter)):
        in_file, in_entry = frontmatter.get(key), entry.frontmatter.get(key)
        if not _same(in_file, in_entry):
            raise SkillVerificationError(
                entry.uri,
                f"frontmatter field {key!r} differs from the entry (file: {in_file!r}, entry: {in_entry!r})",
            )
    return LoadedSkill(entry, text, body)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value, but a boolean is never a number (``True != 1`` here)."""
    if type(a) is bool or type(b) is bool:
        return a is b
    if type(a) in (int, float) and type(b) in (int, float):
        return bool(a == b)
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)
