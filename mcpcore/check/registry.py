"""The check registry: what every check is, which spec clause it tests, and how a miss is graded.

A check is registered with :func:`check` (a decorator) and becomes a
:class:`CheckSpec` in :data:`CHECKS`. Besides its id and title it carries the
clause it tests: the spec versions that require it, the section URL, the
requirement in the spec's words, and its level, which decides what a miss
means (the official conformance suite draws the same line):

* ``MUST`` (MUST / MUST NOT / the schema) -> ``fail``: the run fails;
* ``SHOULD`` (SHOULD / SHOULD NOT) -> ``warn``: the run fails only with ``--strict``;
* ``INFO`` (best practice, interop advice, descriptive text) -> ``info``: never fails the run.

Registering without ``level``/``versions``/``url``/``clause`` still works (a
MUST for every supported version, no clause), so a plug-in area such as the
fuzzer can register with ``@check("fuzz.crash", "title")`` and add the clause later.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from mcpcore import versions
from mcpcore.check.probe import excerpt

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

__all__ = [
    "ALL_VERSIONS",
    "CHECKS",
    "LEGACY",
    "MODERN",
    "VERDICT",
    "CheckFn",
    "CheckSpec",
    "Fail",
    "Level",
    "NotApplicable",
    "Outcome",
    "Status",
    "check",
    "select",
    "spec_of",
    "summary_check",
]

Level = Literal["MUST", "SHOULD", "INFO"]
Status = Literal["pass", "fail", "warn", "info", "n/a"]

#: What a check that is not met reports, by its level.
VERDICT: Final[dict[Level, Status]] = {"MUST": "fail", "SHOULD": "warn", "INFO": "info"}

ALL_VERSIONS: Final = tuple(versions.SUPPORTED_VERSIONS)
LEGACY: Final = tuple(versions.LEGACY_VERSIONS)
MODERN: Final = tuple(versions.MODERN_VERSIONS)

CheckFn = Callable[["Battery"], Coroutine[Any, Any, "str | None"]]


class Fail(Exception):
    """The server departed from the check's clause; ``evidence`` is the offending message.

    ``level`` (and ``clause``) let one part of a check grade below the check's own level: a
    check whose main clause is a MUST may find, on the way, something the spec only advises.
    """

    def __init__(
        self, detail: str, evidence: Any = None, *, level: Level | None = None, clause: str = ""
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.evidence = None if evidence is None else excerpt(evidence)
        self.level = level
        self.clause = clause


class NotApplicable(Exception):
    """The check does not apply to this server (a feature it does not offer)."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One registered check and the clause it tests."""

    id: str
    title: str
    #: The check itself; ``None`` for a check judged over the whole run (``schema.*``, ...).
    fn: CheckFn | None
    level: Level = "MUST"
    #: The spec versions that require it (``--spec-version`` selects by these).
    versions: tuple[str, ...] = ALL_VERSIONS
    #: The section of the published spec the clause is in.
    url: str = ""
    #: The requirement, in the spec's words (quoted or closely paraphrased).
    clause: str = ""

    @property
    def area(self) -> str:
        return self.id.partition(".")[0]


@dataclass(slots=True)
class Outcome:
    id: str
    title: str
    status: Status
    detail: str = ""
    evidence: str | None = None
    seconds: float = 0.0
    #: The level the outcome was graded at (the check's own, or lower for a part of it).
    level: Level = "MUST"
    url: str = ""
    clause: str = ""
    versions: tuple[str, ...] = ALL_VERSIONS
    #: Listed in ``--expected-failures``: a miss here does not fail the run.
    expected: bool = False

    @classmethod
    def of(cls, spec: CheckSpec, status: Status = "pass", detail: str = "") -> Outcome:
        return cls(
            spec.id,
            spec.title,
            status,
            detail,
            level=spec.level,
            url=spec.url,
            clause=spec.clause,
            versions=spec.versions,
        )

    def miss(
        self, detail: str, evidence: str | None = None, *, level: Level | None = None, clause: str = ""
    ) -> None:
        """Record that the check was not met, graded at ``level`` (default: the check's)."""
        if level is not None:
            self.level = level
        if clause:
            self.clause = clause
        self.status = VERDICT[self.level]
        self.detail = detail
        self.evidence = evidence

    @property
    def missed(self) -> bool:
        return self.status in ("fail", "warn", "info")


CHECKS: list[CheckSpec] = []


def check(
    check_id: str,
    title: str,
    *,
    level: Level = "MUST",
    versions: Iterable[str] = ALL_VERSIONS,
    url: str = "",
    clause: str = "",
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as the check ``check_id``; the keyword arguments name its clause."""

    def register(fn: CheckFn) -> CheckFn:
        _add(CheckSpec(check_id, title, fn, level, tuple(versions), url, clause))
        return fn

    return register


def summary_check(
    check_id: str,
    title: str,
    *,
    level: Level = "MUST",
    versions: Iterable[str] = ALL_VERSIONS,
    url: str = "",
    clause: str = "",
) -> CheckSpec:
    """Register a check judged over every message of the run (the battery fills its outcome)."""
    spec = CheckSpec(check_id, title, None, level, tuple(versions), url, clause)
    _add(spec)
    return spec


def _add(spec: CheckSpec) -> None:
    if any(existing.id == spec.id for existing in CHECKS):
        raise ValueError(f"check {spec.id!r} is registered twice")
    CHECKS.append(spec)


def spec_of(check_id: str) -> CheckSpec:
    for spec in CHECKS:
        if spec.id == check_id:
            return spec
    raise KeyError(check_id)


def select(
    specs: Iterable[CheckSpec],
    *,
    only: Iterable[str] | None = None,
    skip: Iterable[str] | None = None,
    spec_version: str | None = None,
) -> list[CheckSpec]:
    """The checks a run asks for: ``only`` and ``skip`` match id prefixes; ``spec_version``
    keeps the checks that version requires (the official suite's meaning)."""
    only, skip = list(only or []), list(skip or [])
    return [
        spec
        for spec in specs
        if (not only or any(spec.id.startswith(prefix) for prefix in only))
        and not any(spec.id == s or spec.id.startswith(s if s.endswith(".") else s + ".") for s in skip)
        and (spec_version is None or spec_version in spec.versions)
    ]
