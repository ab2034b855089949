"""Skills (SEP-2640, ``io.modelcontextprotocol/skills``): ``skills/list``, ``skills/get``, directory reads.

A skill is a directory of files, minimally a ``SKILL.md`` whose YAML
frontmatter names and describes it. The extension serves each file as an
ordinary resource (``skill://<skill-path>/<file-path>``, read with
``resources/read``) and adds three methods:

* ``skills/list``: every skill's entry, paginated: its ``SKILL.md`` URI, its
  frontmatter verbatim as JSON, and a complete manifest of its files with
  ``sha256:`` digests and byte sizes (or ``"dynamic"`` for generated content);
* ``skills/get``: one entry by its ``SKILL.md`` URI (-32602 for anything else);
* ``resources/directory/read``: the direct children of a directory resource
  (``inode/directory``) inside the skill namespace, paginated.

A static skill's files are read once, when registered, so the digests in the
manifest are the digests of exactly the bytes every later read returns.
Skills come from a directory tree (:meth:`SkillRegistry.load`) or are declared
in code (:meth:`mcpcore.Server.skill`). Nothing here reads a peer's value
without the shape check of :mod:`mcpcore.inbound` first.
"""

from __future__ import annotations

import hashlib
import inspect
import mimetypes
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mcpcore import versions
from mcpcore.errors import INVALID_PARAMS, RpcError
from mcpcore.frontmatter import FrontmatterError, parse_frontmatter, render_frontmatter
from mcpcore.registry.pagination import CachedPages, Paginator
from mcpcore.router import Method

if TYPE_CHECKING:
    from mcpcore.context import Context
    from mcpcore.server import Server

__all__ = [
    "DIRECTORY_MIME_TYPE",
    "EXTENSION",
    "MAX_SKILL_BYTES",
    "MAX_SKILL_FILES",
    "Skill",
    "SkillError",
    "SkillFile",
    "SkillRegistry",
    "digest_of",
]

#: The extension identifier (a key of the server capabilities' ``extensions``).
EXTENSION: Final = "io.modelcontextprotocol/skills"
DIRECTORY_MIME_TYPE: Final = "inode/directory"
SKILL_FILE: Final = "SKILL.md"
#: The per-skill limits every host must accept (SEP-2640 "Limits"); a server SHOULD NOT exceed them.
MAX_SKILL_FILES: Final = 512
MAX_SKILL_BYTES: Final = 16 * 1024 * 1024
#: Agent Skills naming rule: 1-64 chars, lowercase alphanumerics and hyphens, no edge or double hyphen.
NAME_RULE: Final = re.compile(r"(?!.*--)[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")
#: A skill-path segment: an RFC 3986 reg-name / path segment without percent-encoding surprises.
_SEGMENT: Final = re.compile(r"[A-Za-z0-9\-._~]+")
_TEXT_TYPES: Final = {".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain"}


class SkillError(ValueError):
    """A skill that cannot be served as given (bad frontmatter, name, path, or limits); says which."""


def digest_of(data: bytes) -> str:
    """The manifest digest of ``data``: ``sha256:`` and 64 lowercase hex digits."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def mime_type_of(path: str) -> str:
    """The MIME type a skill file is served with (``text/markdown`` for SKILL.md and other ``.md``)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _TEXT_TYPES:
        return _TEXT_TYPES[suffix]
    guessed, _encoding = mimetypes.guess_type(path, strict=False)
    return guessed or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class SkillFile:
    """One file of a static skill: its path in the skill, its bytes, digest and size."""

    path: str
    data: bytes
    mime_type: str
    digest: str
    size: int

    @classmethod
    def of(cls, path: str, data: bytes) -> SkillFile:
        return cls(path, data, mime_type_of(path), digest_of(data), len(data))


@dataclass(slots=True)
class Skill:
    """A served skill: where it lives, its frontmatter, and its files (or a generator of SKILL.md)."""

    #: ``acme/billing/refunds``: the prefix segments, then the skill's name.
    path: str
    frontmatter: dict[str, Any]
    #: Static files by path within the skill (``SKILL.md`` included); empty for a dynamic skill.
    files: dict[str, SkillFile] = field(default_factory=dict)
    #: A dynamic skill's SKILL.md producer (``() -> str`` or a coroutine function); None when static.
    generate: Callable[[], Any] | None = None
    scheme: str = "skill"

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def root(self) -> str:
        """The skill's directory URI (no trailing slash)."""
        return f"{self.scheme}://{self.path}"

    @property
    def uri(self) -> str:
        """The URI of the skill's SKILL.md."""
        return f"{self.root}/{SKILL_FILE}"

    def entry(self) -> dict[str, Any]:
        """The skill's ``Skill`` entry, as ``skills/list`` and ``skills/get`` carry it."""
        resources: list[dict[str, Any]] | str
        if self.generate is not None:
            resources = "dynamic"
        else:
            resources = [
                {"uri": f"{self.root}/{item.path}", "digest": item.digest, "size": item.size}
                for item in self.files.values()
            ]
        return {"uri": self.uri, "frontmatter": self.frontmatter, "resources": resources}


def check_skill(skill: Skill) -> None:
    """Refuse a skill the spec says must not be served that way (clear message, at registration)."""
    segments = skill.path.split("/")
    if not skill.path or not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise SkillError(f"skill path {skill.path!r}: segments must be non-empty URI-safe names")
    name = skill.frontmatter.get("name")
    description = skill.frontmatter.get("description")
    if type(name) is not str or not NAME_RULE.fullmatch(name):
        raise SkillError(
            f"skill {skill.path!r}: frontmatter name {name!r} must be 1-64 lowercase letters, digits and "
            "single hyphens (Agent Skills naming rule)"
        )
    if name != skill.name:
        raise SkillError(
            f"skill {skill.path!r}: the last path segment must equal its frontmatter name {name!r}"
        )
    if type(description) is not str or not description.strip():
        raise SkillError(f"skill {skill.path!r}: frontmatter needs a non-empty description")
    for relative in skill.files:
        parts = relative.split("/")
        if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise SkillError(f"skill {skill.path!r}: file path {relative!r} must stay inside the skill")
    if skill.generate is None:
        if SKILL_FILE not in skill.files:
            raise SkillError(f"skill {skill.path!r} has no {SKILL_FILE}")
        if len(skill.files) > MAX_SKILL_FILES:
            raise SkillError(
                f"skill {skill.path!r} has {len(skill.files)} files; the limit is {MAX_SKILL_FILES}"
            )
        total = sum(item.size for item in skill.files.values())
        if total > MAX_SKILL_BYTES:
            raise SkillError(f"skill {skill.path!r} holds {total} bytes; the limit is {MAX_SKILL_BYTES}")


def skill_text(frontmatter: dict[str, Any], body: str) -> str:
    """A SKILL.md text: the rendered frontmatter between ``---`` lines, then the body."""
    return f"---\n{render_frontmatter(frontmatter)}---\n\n{body}"


def load_tree(root: Path, prefix: str = "") -> list[Skill]:
    """Every skill under ``root``: each directory holding a SKILL.md (nested skills too).

    A skill's files are every regular file below its directory (hidden names
    and symlinks leaving the directory skipped), nested skills' files
    included, as the spec's completeness rule asks.
    """
    root = root.resolve()
    if not root.is_dir():
        raise SkillError(f"{root} is not a directory")
    skills: list[Skill] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        if SKILL_FILE not in filenames:
            continue
        here = Path(directory)
        relative = here.relative_to(root).as_posix()
        path = here.name if relative == "." else relative
        if prefix:
            path = f"{prefix.strip('/')}/{path}"
        skills.append(load_skill_dir(here, path))
    return skills


def load_skill_dir(directory: Path, path: str) -> Skill:
    """One skill from its directory, served at ``skill://{path}``."""
    files: dict[str, SkillFile] = {}
    for current, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            full = Path(current, filename)
            if full.is_symlink() and not full.resolve().is_relative_to(directory.resolve()):
                continue
            relative = full.relative_to(directory).as_posix()
            files[relative] = SkillFile.of(relative, full.read_bytes())
            if len(files) > MAX_SKILL_FILES:
                raise SkillError(f"skill {path!r} has more than {MAX_SKILL_FILES} files")
    try:
        text = files[SKILL_FILE].data.decode("utf-8")
        frontmatter = parse_frontmatter(text)
    except UnicodeDecodeError:
        raise SkillError(f"{directory / SKILL_FILE}: not UTF-8 text") from None
    except FrontmatterError as exc:
        raise SkillError(f"{directory / SKILL_FILE}: {exc}") from None
    skill = Skill(path=path, frontmatter=frontmatter, files=_skill_md_first(files))
    check_skill(skill)
    return skill


def _skill_md_first(files: dict[str, SkillFile]) -> dict[str, SkillFile]:
    return {SKILL_FILE: files[SKILL_FILE], **{k: v for k, v in files.items() if k != SKILL_FILE}}


class SkillRegistry:
    """The server's skills, their files as resources, and the extension's three methods."""

    def __init__(self, server: Server, *, page_size: int | None = None) -> None:
        self.server = server
        self._skills: dict[str, Skill] = {}
        self._pages = CachedPages("skills", page_size)
        self._directory_pages = Paginator(page_size)
        #: Directory URI -> child URI -> child Resource (files and subdirectories), over all skills.
        self._directories: dict[str, dict[str, dict[str, Any]]] = {}
        #: Resource URIs registered for skills' files (a nested skill shares its parent's).
        self._owned: set[str] = set()
        self.enabled = False

    def __len__(self) -> int:
        return len(self._skills)

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills.values())

    def get(self, uri: str) -> Skill | None:
        """The skill whose SKILL.md is at ``uri``."""
        return self._skills.get(uri)

    # ------------------------------------------------------------ registration

    def add(self, skill: Skill) -> Skill:
        """Serve ``skill``: its entry, its files as resources, its directories."""
        check_skill(skill)
        if skill.uri in self._skills:
            raise SkillError(f"a skill is already served at {skill.uri}")
        uris = [f"{skill.root}/{item.path}" for item in skill.files.values()]
        if skill.generate is not None:
            uris.append(skill.uri)
        for uri in uris:  # a skill file never silently shadows a resource served for something else
            if uri not in self._owned and self.server.resources.get(uri) is not None:
                raise SkillError(f"skill {skill.path!r}: a resource is already registered at {uri}")
        self._enable()
        for item in skill.files.values():
            uri = f"{skill.root}/{item.path}"
            if uri not in self._owned:  # a nested skill's files are its parent's too
                self.server.add_resource(
                    _constant(item), uri, run="loop", **self._resource_fields(skill, item)
                )
                self._owned.add(uri)
            self._index(uri, item.mime_type, item.size)
        if skill.generate is not None:
            self.server.add_resource(
                _generated(skill.frontmatter, skill.generate),
                skill.uri,
                name=skill.name,
                description=str(skill.frontmatter["description"]),
                mime_type="text/markdown",
                run="loop",
            )
            self._owned.add(skill.uri)
            self._index(skill.uri, "text/markdown", None)
        self._skills[skill.uri] = skill
        self._pages.clear()
        return skill

    def load(self, directory: str | os.PathLike[str], *, prefix: str = "") -> list[Skill]:
        """Serve every skill found under ``directory`` (see :func:`load_tree`)."""
        return [self.add(skill) for skill in load_tree(Path(directory), prefix)]

    def _resource_fields(self, skill: Skill, item: SkillFile) -> dict[str, Any]:
        if item.path == SKILL_FILE:
            return {
                "name": skill.name,
                "description": str(skill.frontmatter["description"]),
                "mime_type": item.mime_type,
                "size": item.size,
            }
        return {"name": item.path, "mime_type": item.mime_type, "size": item.size}

    def _index(self, uri: str, mime_type: str, size: int | None) -> None:
        """Record ``uri`` under its parent directory, and each directory under its own parent."""
        child: dict[str, Any] = {"uri": uri, "name": uri.rsplit("/", 1)[-1], "mimeType": mime_type}
        if size is not None:
            child["size"] = size
        scheme, _sep, rest = uri.partition("://")
        parts = rest.split("/")
        while len(parts) > 1:
            parent = f"{scheme}://{'/'.join(parts[:-1])}"
            self._directories.setdefault(parent, {}).setdefault(child["uri"], child)
            parts = parts[:-1]
            child = {"uri": parent, "name": parts[-1], "mimeType": DIRECTORY_MIME_TYPE}

    def _enable(self) -> None:
        """Declare the extension (with ``directoryRead``) and register its methods (sticky)."""
        if self.enabled:
            return
        self.enabled = True
        self.server.declare_extension(EXTENSION, {"directoryRead": True})
        self.server.register_methods(self.methods())

    def methods(self) -> dict[str, Method]:
        """The extension's entries of the server's method table."""
        return {
            "skills/list": Method(self.list_skills),
            "skills/get": Method(self.get_skill),
            "resources/directory/read": Method(self.read_directory),
        }

    # ---------------------------------------------------------------- methods

    def list_skills(self, params: dict[str, Any], context: Context) -> Any:
        """``skills/list``: entries, paginated and cached like the other lists."""
        return self._pages.serve(lambda: list(self._skills.values()), _render, params, context)

    def get_skill(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``skills/get``: one entry by the URI of its SKILL.md; -32602 for any other URI."""
        uri: str = params["uri"]  # shape checked by mcpcore.inbound
        skill = self._skills.get(uri)
        if skill is None:
            raise RpcError(INVALID_PARAMS, f"No skill is served at {uri}", {"uri": uri})
        result = {"skill": skill.entry()}
        return self._cacheable(result, context)

    def read_directory(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``resources/directory/read``: the direct children of a directory resource, paginated."""
        uri: str = params["uri"]  # shape checked by mcpcore.inbound
        children = self._directories.get(uri[:-1] if uri.endswith("/") else uri)  # "dir/" names "dir"
        if children is None:
            if self.server.resources.find(uri) is not None:
                raise RpcError(INVALID_PARAMS, f"{uri} is not a directory resource", {"uri": uri})
            raise RpcError(INVALID_PARAMS, f"No directory resource at {uri}", {"uri": uri})
        page, next_cursor = self._directory_pages.page(list(children.values()), params.get("cursor"))
        result: dict[str, Any] = {"resources": list(page)}
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    def _cacheable(self, result: dict[str, Any], context: Context) -> dict[str, Any]:
        if context.protocol_version in versions.MODERN_VERSIONS:
            return self.server.modern_result(result, cacheable=True)
        return result


def _render(skill: Skill, version: str) -> dict[str, Any]:
    return skill.entry()


def _constant(item: SkillFile) -> Callable[[], str | bytes]:
    """A read function returning the file: text when it is UTF-8, else bytes (a base64 blob)."""
    try:
        text: str | bytes = item.data.decode("utf-8")
    except UnicodeDecodeError:
        text = item.data

    def read() -> str | bytes:
        return text

    read.__name__ = item.path.replace("/", "_").replace(".", "_").replace("-", "_")
    return read


def _generated(frontmatter: dict[str, Any], generate: Callable[[], Any]) -> Callable[[], Any]:
    """A dynamic skill's SKILL.md read: the fixed frontmatter over the body ``generate`` returns now."""

    async def read() -> str:
        body = generate()
        if inspect.isawaitable(body):
            body = await body
        if type(body) is not str:
            raise TypeError(
                f"a dynamic skill's function returns the SKILL.md body as str, not {type(body).__name__}"
            )
        return skill_text(frontmatter, body)

    return read


def declared_skill(
    body: str,
    *,
    name: str,
    description: str,
    prefix: str = "",
    frontmatter: dict[str, Any] | None = None,
    files: dict[str, str | bytes] | None = None,
    generate: Callable[[], Any] | None = None,
) -> Skill:
    """A skill declared in code: its SKILL.md is rendered from the frontmatter and ``body``."""
    fields: dict[str, Any] = {"name": name, "description": description, **(frontmatter or {})}
    path = f"{prefix.strip('/')}/{name}" if prefix.strip("/") else name
    if generate is not None:
        return Skill(path=path, frontmatter=fields, generate=generate)
    items = {SKILL_FILE: SkillFile.of(SKILL_FILE, skill_text(fields, body).encode("utf-8"))}
    for relative, content in (files or {}).items():
        if relative == SKILL_FILE:
            raise SkillError(f"skill {name!r}: SKILL.md is rendered from the frontmatter and the body")
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        items[relative] = SkillFile.of(relative, data)
    return Skill(path=path, frontmatter=fields, files=items)
