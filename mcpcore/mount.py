"""Composition: one :class:`~mcpcore.Server`'s offerings exposed on another under a prefix.

``host.mount(guest, prefix="math")`` makes the guest's tool ``add`` the
host's ``math_add``, its prompt ``explain`` the host's ``math_explain``, its
resource ``file://notes/{name}`` the host's ``file://math/notes/{name}``, and
carries its completers along. The entries are the guest's own (same
functions, schemas and run modes), registered in the host's registries under
the new names, so a mounted tool costs exactly what a local one does.

The mount stays in step: whenever the guest's tools, prompts or resources
change, its entries on the host are swapped in one change, and the host's
clients get one ``list_changed``. The guest keeps working on its own too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable

    from mcpcore.server import Server

__all__ = ["Mount", "prefixed_uri"]

_PREFIX: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def prefixed_uri(uri: str, prefix: str) -> str:
    """``scheme://rest`` → ``scheme://prefix/rest`` (a URI without ``://`` gets ``prefix/`` in front)."""
    scheme, sep, rest = uri.partition("://")
    return f"{scheme}://{prefix}/{rest}" if sep else f"{prefix}/{uri}"


class Mount:
    """The guest's entries on the host, and the hooks that keep them current."""

    def __init__(self, host: Server, guest: Server, prefix: str) -> None:
        if guest is host:
            raise ValueError("a server cannot mount itself")
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"mount prefix {prefix!r} must be 1-64 characters of A-Z a-z 0-9 _ - .")
        self.host = host
        self.guest = guest
        self.prefix = prefix
        self._tools: list[str] = []
        self._prompts: list[str] = []
        self._resources: list[str] = []
        self._completions: list[tuple[str, str]] = []
        guest.tools.on_change = _chain(guest.tools.on_change, self.sync_tools)
        guest.prompts.on_change = _chain(guest.prompts.on_change, self.sync_prompts)
        guest.resources.on_change = _chain(guest.resources.on_change, self.sync_resources)

    def name(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def sync(self) -> None:
        """Bring every kind of entry in step with the guest."""
        self.sync_tools()
        self.sync_prompts()
        self.sync_resources()

    def sync_tools(self) -> None:
        tools = {self.name(tool.name): tool for tool in self.guest.tools}
        self.host.tools.swap(self._tools, tools)
        self._tools = list(tools)
        if any(tool.task_support is not None for tool in tools.values()):
            self.host.tasks.enable()

    def sync_prompts(self) -> None:
        prompts = {self.name(prompt.name): prompt for prompt in self.guest.prompts}
        self.host.prompts.swap(self._prompts, prompts)
        self._prompts = list(prompts)
        self._sync_completions()

    def sync_resources(self) -> None:
        resources = {prefixed_uri(resource.uri, self.prefix): resource for resource in self.guest.resources}
        self.host.resources.swap(self._resources, resources)
        self._resources = list(resources)
        self._sync_completions()

    def _sync_completions(self) -> None:
        moved: list[tuple[tuple[str, str], dict[str, Any]]] = []
        for (kind, target), by_argument in self.guest.completions.entries():
            renamed = self.name(target) if kind == "ref/prompt" else prefixed_uri(target, self.prefix)
            moved.append(((kind, renamed), by_argument))
        self.host.completions.swap(self._completions, moved)
        self._completions = [key for key, _ in moved]
        if moved:
            self.host.declare("completions", {})


def _chain(first: Callable[[], None] | None, then: Callable[[], None]) -> Callable[[], None]:
    """Call the registry's existing change hook (the guest's own clients), then the mount's."""

    def both() -> None:
        if first is not None:
            first()
        then()

    return both
