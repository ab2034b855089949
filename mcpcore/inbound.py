"""The typed boundary: every value mcpcore reads from a peer's message is checked here first.

A peer is untrusted. Handlers look values up in dicts (request ids, progress
tokens, subscription ids, task ids), compare them with sets, and hand them to
user code; an unhashable id or a list where a string belongs must never get
that far. So both roles read every inbound message through one table:

* :data:`SERVER` is what a server reads from its client: request params,
  notification params, and the results the client returns to the server's own
  requests (sampling, elicitation, roots, ping);
* :data:`CLIENT` is what a client reads from its server, likewise.

The router and the client session ask the table before dispatch, the request
correlator asks it before resolving a future, and nowhere else re-checks a
shape. What each role does with an answer is fixed by the protocol, not here:
a bad request is -32602 with its id, a bad notification is ignored (logged at
DEBUG), a bad result fails the one request that waited for it.

The tables list what the engine itself reads, in every protocol version:
extra members are always allowed (the schemas allow them), an optional member
may also be ``null`` (read as absent, as careless peers send it), and methods
missing from a table (a user's own methods) get only the generic shape of
their kind. Shapes compile once, on a method's first use, into one
straight-line Python function each (no schema engine and no recursion per
message), so the check on the ``tools/call`` hot path is a handful of
``type()`` comparisons.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "CLIENT",
    "SERVER",
    "Contract",
    "Problem",
    "Shape",
]

#: A compiled shape: ``None`` when the value fits, else a sentence saying where it does not.
Problem = Callable[[Any], "str | None"]

_MISSING: Final = object()
META_SUBSCRIPTION_ID: Final = "io.modelcontextprotocol/subscriptionId"
LOG_LEVELS: Final = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


# --------------------------------------------------------------------- shapes


class _Emitter:
    """Writes one checker function: lines of code, fresh variable names, constants."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 1
        self.names: dict[str, Any] = {"_MISSING": _MISSING}
        self._counter = itertools.count()

    def var(self) -> str:
        return f"v{next(self._counter)}"

    def const(self, value: Any) -> str:
        name = f"c{next(self._counter)}"
        self.names[name] = value
        return name

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.depth += 1
        start = len(self.lines)
        yield
        if len(self.lines) == start:
            self.line("pass")
        self.depth -= 1

    def fail(self, message: str) -> None:
        self.line(f"return {message!r}")


class Shape:
    """What one value must look like; subclasses emit the code that checks it."""

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        raise NotImplementedError

    def compile(self, where: str) -> Problem:
        """One function ``value -> problem or None`` for this shape, ``where`` naming the root."""
        out = _Emitter()
        self.emit(out, "v", where)
        source = "def check(v):\n" + "\n".join(out.lines) + "\n    return None\n"
        namespace = dict(out.names)
        exec(compile(source, f"<mcpcore.inbound {where}>", "exec"), namespace)
        checker: Problem = namespace["check"]
        return checker


class _Any(Shape):
    def emit(self, out: _Emitter, var: str, where: str) -> None:
        return


class Kind(Shape):
    """A JSON type, matched on exact Python types (``bool`` is not an integer, as in JSON)."""

    def __init__(
        self, label: str, *types: type[Any], extra: str | None = None, extra_label: str = ""
    ) -> None:
        self.label = label
        self.types = types
        #: A further test on ``{v}`` (e.g. ``"{v} >= 1"``), only after the type matched.
        self.extra = extra
        self.extra_label = extra_label

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        if len(self.types) == 1:
            test = f"type({var}) is not {out.const(self.types[0])}"
        else:
            test = f"type({var}) not in {out.const(frozenset(self.types))}"
        with out.block(f"if {test}:"):
            out.fail(f"{where} must be {self.label}")
        if self.extra is not None:
            with out.block(f"if not ({self.extra.format(v=var)}):"):
                out.fail(f"{where} must be {self.extra_label}")


class Enum(Shape):
    """One of a few strings (the type is checked first, so an unhashable value cannot reach the set)."""

    def __init__(self, *values: str) -> None:
        self.values = frozenset(values)
        self.label = "one of " + ", ".join(repr(value) for value in values)

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        with out.block(f"if type({var}) is not str or {var} not in {out.const(self.values)}:"):
            out.fail(f"{where} must be {self.label}")


class Optional(Shape):
    """A member that may be absent (or ``null``, unless refused); only :class:`Obj` gives this meaning."""

    def __init__(self, inner: Shape, *, null: bool = True) -> None:
        self.inner = inner
        self.null = null

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        self.inner.emit(out, var, where)


class Obj(Shape):
    """An object with these members (a member is required unless wrapped in :func:`opt`)."""

    def __init__(self, members: Mapping[str, Shape] | None = None, **more: Shape) -> None:
        self.members = {**(members or {}), **more}

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        with out.block(f"if type({var}) is not dict:"):
            out.fail(f"{where} must be an object")
        for key, shape in self.members.items():
            if type(shape) is _Any:
                continue
            path = f"{where}.{key}"
            member = out.var()
            out.line(f"{member} = {var}.get({key!r}, _MISSING)")
            if type(shape) is Optional:
                if type(shape.inner) is _Any:
                    continue
                present = f"{member} is not _MISSING" + (f" and {member} is not None" if shape.null else "")
                with out.block(f"if {present}:"):
                    shape.inner.emit(out, member, path)
            else:
                with out.block(f"if {member} is _MISSING:"):
                    out.fail(f"{path} is required")
                shape.emit(out, member, path)


class ListOf(Shape):
    """An array whose every item has one shape."""

    def __init__(self, item: Shape) -> None:
        self.item = item

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        with out.block(f"if type({var}) is not list:"):
            out.fail(f"{where} must be an array")
        if type(self.item) is _Any:
            return
        item = out.var()
        with out.block(f"for {item} in {var}:"):
            self.item.emit(out, item, f"{where}[*]")


class MapOf(Shape):
    """An object used as a map: any keys, every value of one shape."""

    def __init__(self, value: Shape) -> None:
        self.value = value

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        with out.block(f"if type({var}) is not dict:"):
            out.fail(f"{where} must be an object")
        value = out.var()
        with out.block(f"for {value} in {var}.values():"):
            self.value.emit(out, value, f"{where}[*]")


class Tagged(Shape):
    """An object whose ``tag`` member (a string) chooses which shape the rest must have."""

    def __init__(self, tag: str, variants: Mapping[str, Obj]) -> None:
        self.tag = tag
        self.variants = dict(variants)

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        with out.block(f"if type({var}) is not dict:"):
            out.fail(f"{where} must be an object")
        tag = out.var()
        out.line(f"{tag} = {var}.get({self.tag!r})")
        keyword = "if"
        for value, shape in self.variants.items():
            with out.block(f"{keyword} {tag} == {value!r}:"):
                shape.emit(out, var, where)
            keyword = "elif"
        with out.block("else:"):
            names = ", ".join(repr(value) for value in self.variants)
            out.fail(f"{where}.{self.tag} must be one of {names}")


class Either(Shape):
    """One of two shapes (e.g. the string ``"dynamic"`` or an array); each compiles to its own checker."""

    def __init__(self, first: Shape, second: Shape, label: str) -> None:
        self.first = first
        self.second = second
        self.label = label

    def emit(self, out: _Emitter, var: str, where: str) -> None:
        first = out.const(self.first.compile(where))
        second = out.const(self.second.compile(where))
        with out.block(f"if {first}({var}) is not None and {second}({var}) is not None:"):
            out.fail(f"{where} must be {self.label}")


def opt(shape: Shape, *, null: bool = True) -> Optional:
    """Mark an :class:`Obj` member optional: absent, or ``null`` too unless ``null=False``."""
    return Optional(shape, null=null)


ANY: Final = _Any()
STRING: Final = Kind("a string", str)
NON_EMPTY_STRING: Final = Kind("a string", str, extra="{v}", extra_label="a non-empty string")
INTEGER: Final = Kind("an integer", int)
POSITIVE_INTEGER: Final = Kind("an integer", int, extra="{v} >= 1", extra_label="a positive integer")
NON_NEGATIVE_INTEGER: Final = Kind("an integer", int, extra="{v} >= 0", extra_label="a non-negative integer")
NUMBER: Final = Kind("a number", int, float)
BOOLEAN: Final = Kind("a boolean", bool)
OBJECT: Final = Kind("an object", dict)
ARRAY: Final = Kind("an array", list)
#: JSON-RPC ids and progress tokens as MCP narrows them: a string or an integer, never null or a bool.
ID: Final = Kind("a string or an integer", str, int)
OBJECT_OR_ARRAY: Final = Kind("an object or an array", dict, list)


# ------------------------------------------------------------------- contracts


class _Checks:
    """One table of a contract: each method's shape, compiled into its checker on first use.

    Compiling every shape of both roles at import cost a process's cold start
    more than the rest of the package; a server uses a handful of methods. A
    method missing from the table (a user's own) gets the kind's generic
    checker, compiled once too.
    """

    __slots__ = ("_base", "_checks", "_generic", "_shapes", "_where")

    def __init__(self, shapes: Mapping[str, Obj], base: Mapping[str, Shape], where: str) -> None:
        self._shapes = shapes
        self._base = base
        self._where = where
        self._checks: dict[str, Problem] = {}
        self._generic: Problem | None = None

    def __contains__(self, method: object) -> bool:
        return method in self._shapes

    def __iter__(self) -> Iterator[str]:
        return iter(self._shapes)

    def check(self, method: str, value: Any) -> str | None:
        """Why ``value`` does not fit ``method``'s shape, or ``None``."""
        checker = self._checks.get(method)
        if checker is None:
            checker = self._compile(method)
        return checker(value)

    def _compile(self, method: str) -> Problem:
        shape = self._shapes.get(method)
        if shape is None:
            generic = self._generic
            if generic is None:
                generic = self._generic = Obj(self._base).compile(self._where)
            return generic  # not cached by name: a peer's made-up methods must not grow the table
        checker = self._checks[method] = Obj({**self._base, **shape.members}).compile(self._where)
        return checker


@dataclass(frozen=True)
class Contract:
    """What one role reads from its peer, by method: request params, notification params, results.

    A method missing from a table (a user's own methods) is checked against
    the generic shape of its kind.
    """

    requests: _Checks
    notifications: _Checks
    results: _Checks

    def request_problem(self, method: str, params: Any) -> str | None:
        """Why ``params`` cannot be a ``method`` request's params, or ``None``."""
        return self.requests.check(method, params)

    def notification_problem(self, method: str, params: Any) -> str | None:
        """Why ``params`` cannot be a ``method`` notification's params, or ``None``."""
        return self.notifications.check(method, params)

    def result_problem(self, method: str, result: Any) -> str | None:
        """Why ``result`` cannot answer a ``method`` request, or ``None``."""
        return self.results.check(method, result)


def _contract(
    requests: Mapping[str, Obj],
    notifications: Mapping[str, Obj],
    results: Mapping[str, Obj],
    *,
    request_base: Mapping[str, Shape],
    notification_base: Mapping[str, Shape],
    result_base: Mapping[str, Shape],
) -> Contract:
    """A role's tables; every entry also gets its kind's common members (``_meta``...)."""
    return Contract(
        requests=_Checks(requests, request_base, "params"),
        notifications=_Checks(notifications, notification_base, "params"),
        results=_Checks(results, result_base, "result"),
    )


_REQUEST_BASE: Final = {"_meta": opt(Obj(progressToken=opt(ID)))}
_NOTIFICATION_BASE: Final = {"_meta": opt(Obj({META_SUBSCRIPTION_ID: opt(ID)}))}
_RESULT_BASE: Final = {
    "_meta": opt(OBJECT),
    "resultType": opt(STRING),
    "ttlMs": opt(INTEGER),
    "cacheScope": opt(STRING),
}
_PAGED: Final = Obj(cursor=opt(STRING))
#: Members of a 2026-07-28 retry after an ``InputRequiredResult``.
#: ``inputResponses: null`` is refused, not read as absent: a retry that lost its answers is a client bug
#: worth reporting (-32602) rather than a silent new round of questions.
_RETRY: Final = {"inputResponses": opt(OBJECT, null=False), "requestState": opt(STRING)}
_PROGRESS: Final = Obj(progressToken=ID, progress=NUMBER, total=opt(NUMBER), message=opt(STRING))
_CANCELLED: Final = Obj(requestId=opt(ID), reason=opt(STRING))
_TASK_ID: Final = Obj(taskId=STRING)
#: A task-augmented request's ``task`` (2025-11-25): the requested lifetime, if any.
_TASK_HINT: Final = Obj(ttl=opt(POSITIVE_INTEGER))

#: Server -> client requests: the params a client reads (legacy requests, and 2026-07-28 inputRequests).
_SERVER_REQUESTS: Final[dict[str, Obj]] = {
    "ping": Obj(),
    "sampling/createMessage": Obj(
        messages=ListOf(OBJECT), maxTokens=NUMBER, systemPrompt=opt(STRING), task=opt(_TASK_HINT)
    ),
    "elicitation/create": Obj(
        message=STRING,
        mode=opt(Enum("form", "url")),
        requestedSchema=opt(OBJECT),
        url=opt(STRING),
        elicitationId=opt(STRING),
        task=opt(_TASK_HINT),
    ),
    "roots/list": Obj(),
    # client-hosted tasks (2025-11-25): the server polls the tasks the client runs for it
    "tasks/get": _TASK_ID,
    "tasks/result": _TASK_ID,
    "tasks/cancel": _TASK_ID,
    "tasks/list": _PAGED,
}
#: ``InputRequiredResult`` members (2026-07-28): requests the client must fulfil, and the state to echo.
_INPUT_REQUIRED: Final = {
    "inputRequests": opt(MapOf(Obj(method=STRING, params=opt(OBJECT)))),
    "requestState": opt(STRING),
}

#: A Skills extension (SEP-2640) entry: the SKILL.md URI, its frontmatter, its manifest or "dynamic".
_SKILL: Final = Obj(
    uri=STRING,
    frontmatter=Obj(name=STRING, description=STRING),
    resources=Either(
        Enum("dynamic"),
        ListOf(Obj(uri=STRING, digest=STRING, size=NON_NEGATIVE_INTEGER)),
        'the string "dynamic" or an array of {uri, digest, size}',
    ),
)

SERVER: Final = _contract(
    requests={
        "initialize": Obj(protocolVersion=STRING, capabilities=opt(OBJECT), clientInfo=opt(OBJECT)),
        "ping": Obj(),
        "server/discover": Obj(),
        "tools/list": _PAGED,
        "tools/call": Obj(
            {
                "name": STRING,
                "arguments": opt(OBJECT),
                "task": opt(_TASK_HINT),
                **_RETRY,
            }
        ),
        "resources/list": _PAGED,
        "resources/templates/list": _PAGED,
        "resources/read": Obj({"uri": STRING, **_RETRY}),
        "resources/subscribe": Obj(uri=NON_EMPTY_STRING),
        "resources/unsubscribe": Obj(uri=NON_EMPTY_STRING),
        "prompts/list": _PAGED,
        "prompts/get": Obj({"name": STRING, "arguments": opt(OBJECT), **_RETRY}),
        "completion/complete": Obj(
            ref=Tagged("type", {"ref/prompt": Obj(name=STRING), "ref/resource": Obj(uri=STRING)}),
            argument=Obj(name=STRING, value=opt(STRING)),
            context=opt(Obj(arguments=opt(OBJECT))),
        ),
        "logging/setLevel": Obj(level=Enum(*LOG_LEVELS)),
        "subscriptions/listen": Obj(
            notifications=Obj(
                toolsListChanged=opt(BOOLEAN),
                promptsListChanged=opt(BOOLEAN),
                resourcesListChanged=opt(BOOLEAN),
                resourceSubscriptions=opt(ListOf(STRING)),
                taskIds=opt(ListOf(STRING)),
            )
        ),
        "tasks/get": _TASK_ID,
        "tasks/result": _TASK_ID,
        "tasks/cancel": _TASK_ID,
        "tasks/list": _PAGED,
        "tasks/update": Obj(taskId=STRING, inputResponses=OBJECT),
        "skills/list": _PAGED,
        "skills/get": Obj(uri=STRING),
        "resources/directory/read": Obj(uri=STRING, cursor=opt(STRING)),
    },
    notifications={
        "notifications/cancelled": _CANCELLED,
        "notifications/initialized": Obj(),
        "notifications/progress": _PROGRESS,
        "notifications/roots/list_changed": Obj(),
    },
    results={
        "ping": Obj(),
        "sampling/createMessage": Obj(
            role=Enum("user", "assistant"), content=OBJECT_OR_ARRAY, model=opt(STRING)
        ),
        "elicitation/create": Obj(action=Enum("accept", "decline", "cancel"), content=opt(OBJECT)),
        "roots/list": Obj(roots=ListOf(Obj(uri=STRING, name=opt(STRING)))),
        # client-hosted tasks (2025-11-25): the answer to a task-augmented request, and the polls
        "CreateTaskResult": Obj(task=Obj(taskId=STRING, status=STRING, ttl=opt(INTEGER))),
        "tasks/get": Obj(taskId=STRING, status=STRING),
    },
    request_base=_REQUEST_BASE,
    notification_base=_NOTIFICATION_BASE,
    result_base=_RESULT_BASE,
)

CLIENT: Final = _contract(
    requests=_SERVER_REQUESTS,
    notifications={
        "notifications/cancelled": _CANCELLED,
        "notifications/progress": _PROGRESS,
        "notifications/message": Obj(level=Enum(*LOG_LEVELS), logger=opt(STRING)),
        "notifications/resources/updated": Obj(uri=STRING),
        "notifications/resources/list_changed": Obj(),
        "notifications/prompts/list_changed": Obj(),
        "notifications/tools/list_changed": Obj(),
        "notifications/subscriptions/acknowledged": Obj(notifications=opt(OBJECT)),
        "notifications/elicitation/complete": Obj(elicitationId=STRING),
        "notifications/tasks/status": Obj(taskId=STRING, status=STRING),
    },
    results={
        "initialize": Obj(
            protocolVersion=STRING, capabilities=opt(OBJECT), serverInfo=opt(OBJECT), instructions=opt(STRING)
        ),
        "server/discover": Obj(
            supportedVersions=ListOf(STRING), capabilities=opt(OBJECT), instructions=opt(STRING)
        ),
        "ping": Obj(),
        "tools/list": Obj(tools=ListOf(Obj(name=STRING, inputSchema=opt(OBJECT))), nextCursor=opt(STRING)),
        "tools/call": Obj({"content": opt(ListOf(OBJECT)), "isError": opt(BOOLEAN), **_INPUT_REQUIRED}),
        "resources/list": Obj(resources=ListOf(Obj(uri=STRING)), nextCursor=opt(STRING)),
        "resources/templates/list": Obj(
            resourceTemplates=ListOf(Obj(uriTemplate=STRING)), nextCursor=opt(STRING)
        ),
        "resources/read": Obj({"contents": opt(ListOf(Obj(uri=STRING))), **_INPUT_REQUIRED}),
        "prompts/list": Obj(prompts=ListOf(Obj(name=STRING)), nextCursor=opt(STRING)),
        "prompts/get": Obj({"messages": opt(ListOf(OBJECT)), **_INPUT_REQUIRED}),
        "completion/complete": Obj(completion=Obj(values=ListOf(STRING))),
        "tasks/list": Obj(tasks=ListOf(OBJECT), nextCursor=opt(STRING)),
        "skills/list": Obj(skills=ListOf(_SKILL), nextCursor=opt(STRING)),
        "skills/get": Obj(skill=_SKILL),
        "resources/directory/read": Obj(resources=ListOf(Obj(uri=STRING)), nextCursor=opt(STRING)),
    },
    request_base=_REQUEST_BASE,
    notification_base=_NOTIFICATION_BASE,
    result_base=_RESULT_BASE,
)
