"""The per-request context: what a handler may know and do about the request it serves.

A tool (or any handler) asks for it by annotating a parameter with
:class:`Context`; the registry passes it in and leaves it out of the tool's
input schema. It is built for every request, so it is a slotted object that
does no work until a method is called.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

from mcpcore import versions
from mcpcore.errors import INTERNAL_ERROR, RpcError
from mcpcore.inbound import SERVER
from mcpcore.registry.input_required import (
    ClientCapabilityError,
    ClientRequestError,
    InputRequired,
    check_response,
    declared,
    elicitation_request,
    hosts_tasks,
    missing_capability,
    required_capability,
    roots_request,
    sampling_request,
    url_elicitation_request,
)
from mcpcore.session import LOG_LEVELS, Envelope

if TYPE_CHECKING:
    from mcpcore.registry.elicitation import ElicitationRefused
    from mcpcore.router import Connection, Responder
    from mcpcore.transport.exchange import HttpRequestInfo
    from mcpcore.transport.security import AccessToken

__all__ = ["Context"]

_log = logging.getLogger("mcpcore.context")

T = TypeVar("T")

_SEVERITY: Final = {level: rank for rank, level in enumerate(LOG_LEVELS)}
_UNSET: Final[Any] = object()
#: Versions whose clients can be asked for elicitation at all (form mode).
_ELICITATION_VERSIONS: Final = frozenset({versions.V2025_06_18, versions.V2025_11_25, versions.V2026_07_28})


class Context:
    """One request as its handler sees it."""

    __slots__ = (
        "_last_progress",
        "_state",
        "cancelled",
        "connection",
        "envelope",
        "method",
        "params",
        "request_id",
        "responder",
    )

    def __init__(
        self,
        connection: Connection,
        request_id: int | str | None,
        method: str,
        params: dict[str, Any],
        envelope: Envelope | None,
        *,
        responder: Responder | None = None,
    ) -> None:
        self.connection = connection
        #: Where this request's own messages go when not to the connection's sink (HTTP: its POST).
        self.responder = responder
        self.request_id = request_id
        self.method = method
        self.params = params
        self.envelope = envelope
        #: Set when the peer cancelled this request; the response will not be sent.
        self.cancelled = False
        self._last_progress: float | None = None
        self._state: Any = _UNSET

    @property
    def meta(self) -> dict[str, Any]:
        """The request's ``params._meta`` (empty when absent)."""
        meta = self.params.get("_meta")
        return meta if type(meta) is dict else {}

    @property
    def lifespan_state(self) -> Any:
        """What the server's ``lifespan`` yielded (a database pool, say); ``None`` without one."""
        return self.connection.server.lifespan_state

    @property
    def protocol_version(self) -> str | None:
        """The version this request is served under (negotiated, or from the modern envelope)."""
        return self.envelope.protocol_version if self.envelope is not None else None

    @property
    def client_capabilities(self) -> dict[str, Any]:
        """What the client declared it supports, for this request."""
        return self.envelope.client_capabilities if self.envelope is not None else {}

    @property
    def client_info(self) -> dict[str, Any] | None:
        """The client's self-reported name and version (for display and logs only)."""
        return self.envelope.client_info if self.envelope is not None else None

    @property
    def modern(self) -> bool:
        """Served under the 2026-07-28 per-request envelope (no server-to-client requests)."""
        return self.envelope is not None and self.envelope.modern

    @property
    def access_token(self) -> AccessToken | None:
        """The verified bearer token of the HTTP request that carried this one (None without auth)."""
        http = self._http_request
        return http.access_token if http is not None else None

    @property
    def http_headers(self) -> Mapping[str, str] | None:
        """That HTTP request's headers, lower-case names (None on stdio): per-user decisions."""
        http = self._http_request
        return http.headers if http is not None else None

    @property
    def _http_request(self) -> HttpRequestInfo | None:
        # The HTTP responders (legacy POST, modern POST) carry it; stdio's have none. Read by
        # name so that importing mcpcore loads no HTTP module.
        http: HttpRequestInfo | None = getattr(self.responder, "http_request", None)
        return http

    @property
    def progress_token(self) -> int | str | None:
        """The token the client attached to ask for progress, if any."""
        token = self.meta.get("progressToken")
        return token if type(token) is str or type(token) is int else None

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Send ``notifications/progress`` if the client asked for progress on this request.

        The spec requires ``progress`` to increase with every notification; a
        value that does not is dropped (and logged) rather than sent.
        """
        token = self.progress_token
        if token is None or self.cancelled:
            return
        if self._last_progress is not None and progress <= self._last_progress:
            _log.warning("progress %r does not increase past %r; not sent", progress, self._last_progress)
            return
        self._last_progress = progress
        params: dict[str, Any] = {"progressToken": token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None and self.protocol_version != "2024-11-05":  # ``message`` arrived in 2025-03-26
            params["message"] = message
        await self.connection.notify("notifications/progress", params, responder=self.responder)

    # ----------------------------------------------------------------- logging

    def log_enabled(self, level: str) -> bool:
        """Whether a log message at ``level`` would be sent for this request.

        Legacy: at or above the connection's ``logging/setLevel`` level (all
        levels until the client sets one). 2026-07-28: only when the request's
        ``_meta`` asked for a log level, and at or above it.
        """
        rank = _SEVERITY.get(level)
        if rank is None:
            raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
        if self.cancelled or "logging" not in self.connection.server.capabilities:
            return False
        if self.modern:
            assert self.envelope is not None
            threshold = self.envelope.log_level
            return threshold is not None and rank >= _SEVERITY[threshold]
        threshold = self.connection.server.subscriptions.log_threshold(self.connection)
        return threshold is None or rank >= _SEVERITY[threshold]

    async def log(self, level: str, data: Any, logger: str | None = None) -> None:
        """Send ``notifications/message`` to the client if its level lets this one through."""
        if not self.log_enabled(level):
            return
        params: dict[str, Any] = {"level": level, "data": data}
        if logger is not None:
            params["logger"] = logger
        await self.connection.notify("notifications/message", params, responder=self.responder)

    async def debug(self, data: Any, logger: str | None = None) -> None:
        """``log("debug", ...)``."""
        await self.log("debug", data, logger)

    async def info(self, data: Any, logger: str | None = None) -> None:
        """``log("info", ...)``."""
        await self.log("info", data, logger)

    async def warning(self, data: Any, logger: str | None = None) -> None:
        """``log("warning", ...)``."""
        await self.log("warning", data, logger)

    async def error(self, data: Any, logger: str | None = None) -> None:
        """``log("error", ...)``."""
        await self.log("error", data, logger)

    # ----------------------------------------------- asking the client (both eras)

    @property
    def request_state(self) -> Any:
        """The state this handler sealed into the previous round (2026-07-28 retries), else ``None``.

        Forged, altered, expired or misdirected state is rejected with -32602.
        """
        if self._state is _UNSET:
            token = self.params.get("requestState") if self.modern else None
            if token is None:
                self._state = None
            else:
                self._state = self.connection.server.state_sealer.open(self.method, self.params, token)
        return self._state

    @property
    def input_responses(self) -> dict[str, Any]:
        """The client's answers carried by this retry (2026-07-28; empty otherwise).

        Reading them also verifies ``requestState``, so a tampered retry fails
        even if the handler never looks at its state.
        """
        if not self.modern or "inputResponses" not in self.params:
            return {}
        responses: dict[str, Any] = self.params["inputResponses"] or {}  # shape: mcpcore.inbound
        self.request_state  # noqa: B018 - verifies the seal
        return responses

    def require_client_capability(self, capability: dict[str, Any]) -> None:
        """Fail unless the client declared ``capability`` (e.g. ``{"sampling": {}}``) for this request.

        2026-07-28: -32021 MissingRequiredClientCapability with
        ``requiredCapabilities``; legacy: :class:`ClientCapabilityError`.
        """
        declared_caps = self.client_capabilities
        for name in capability:
            if type(declared_caps.get(name)) is not dict:
                if self.modern:
                    raise missing_capability(capability)
                raise ClientCapabilityError(f"the client did not declare the {name!r} capability")

    async def ask(
        self,
        requests: Mapping[str, dict[str, Any]],
        *,
        state: Any = None,
        timeout: float | None = None,
        task: bool | int = False,
    ) -> dict[str, Any]:
        """Ask the client for several things at once; returns the answers by key.

        Legacy: sends each as a server-to-client request, concurrently, and
        waits (``timeout`` seconds, default ``Server(client_request_timeout=)``).
        2026-07-28: returns the answers this retry carries, or raises
        :class:`InputRequired` asking for all of them, with ``state`` sealed
        into ``requestState`` (read it back next round as ``request_state``).
        Each request needs its client capability on this request: -32021
        (modern) or :class:`ClientCapabilityError` (legacy) otherwise.

        ``task`` (2025-11-25; ``True`` or a TTL in ms): a sampling or
        elicitation request the client declared task-augmentable
        (``capabilities.tasks.requests``) runs on the client as a task; the
        answer is then its ``tasks/result``, awaited for at most the task's TTL.
        Any other request, and every one on 2026-07-28 (whose tasks extension
        has no client-hosted tasks), is asked as usual.
        """
        capabilities = self.client_capabilities
        for request in requests.values():
            if not declared(capabilities, request):
                _, needed = required_capability(request)
                if self.modern:
                    raise missing_capability(needed)
                raise ClientCapabilityError(
                    f"cannot send {request['method']}: the client did not declare {needed}"
                )
        if self.modern:
            responses = self.input_responses
            if all(key in responses for key in requests):
                return {
                    key: check_response(key, request, responses[key]) for key, request in requests.items()
                }
            raise InputRequired(requests, state)
        return await self._send_requests(requests, timeout, task)

    async def _send_requests(
        self, requests: Mapping[str, dict[str, Any]], timeout: float | None, task: bool | int = False
    ) -> dict[str, Any]:
        if timeout is None:
            timeout = self.connection.server.client_request_timeout
        version = self.protocol_version
        for request in requests.values():
            if request["method"] == "elicitation/create" and version not in _ELICITATION_VERSIONS:
                raise ClientCapabilityError(f"elicitation does not exist in protocol {version}")
        keys = list(requests)
        hosted = task is not False and version == versions.V2025_11_25
        capabilities = self.client_capabilities
        answers = await asyncio.gather(
            *(
                self._client_task(requests[key]["method"], requests[key].get("params"), timeout, task)
                if hosted and hosts_tasks(capabilities, requests[key]["method"])
                else self._client_request(requests[key]["method"], requests[key].get("params"), timeout)
                for key in keys
            )
        )
        return dict(zip(keys, answers, strict=True))

    async def _client_task(
        self, method: str, params: dict[str, Any] | None, timeout: float, task: bool | int
    ) -> Any:
        """Run ``method`` on the client as a task (2025-11-25): create it, then wait for its ``tasks/result``.

        The create is answered at once (bounded by ``timeout``); the result is
        awaited for at most the task's TTL as the client granted it (else
        ``timeout``), since the client may drop the task after it.
        """
        hint: dict[str, Any] = {} if task is True else {"ttl": task}
        connection, responder = self.connection, self.responder
        try:
            created = await connection.request(
                method,
                {**(params or {}), "task": hint},
                timeout=timeout,
                responder=responder,
                answer="CreateTaskResult",
            )
            task_id = created["task"]["taskId"]
            ttl = created["task"].get("ttl")
            bound = ttl / 1000 if type(ttl) is int and ttl > 0 else timeout
            result = await connection.request(
                "tasks/result", {"taskId": task_id}, timeout=bound, responder=responder
            )
        except InputRequired:
            raise
        except RpcError as exc:
            raise ClientRequestError(method, exc) from None
        problem = SERVER.result_problem(method, result)
        if problem is not None:
            raise ClientRequestError(
                method, RpcError(INTERNAL_ERROR, f"malformed {method} task result: {problem}")
            )
        return result

    async def _client_request(self, method: str, params: dict[str, Any] | None, timeout: float) -> Any:
        try:
            return await self.connection.request(method, params, timeout=timeout, responder=self.responder)
        except InputRequired:
            raise
        except RpcError as exc:
            raise ClientRequestError(method, exc) from None

    @overload
    async def elicit(
        self,
        message: str,
        requested_schema: dict[str, Any],
        *,
        key: str = "elicitation",
        state: Any = None,
        timeout: float | None = None,
        task: bool | int = False,
    ) -> dict[str, Any]: ...

    @overload
    async def elicit(
        self,
        message: str,
        requested_schema: type[T],
        *,
        key: str = "elicitation",
        state: Any = None,
        timeout: float | None = None,
        task: bool | int = False,
    ) -> T | ElicitationRefused: ...

    async def elicit(
        self,
        message: str,
        requested_schema: dict[str, Any] | type[Any],
        *,
        key: str = "elicitation",
        state: Any = None,
        timeout: float | None = None,
        task: bool | int = False,
    ) -> Any:
        """Ask the user to fill in a form (``task``: as a client-hosted task, see :meth:`ask`).

        With a JSON Schema, returns the ElicitResult (``action``, ``content``).
        With a type (a dataclass or a TypedDict of flat fields), the schema is
        derived from it and the answer comes back typed: an instance when the
        user accepted (content checked against the schema first; -32602 if it
        does not match), else :class:`ElicitationRefused` saying whether they
        declined or cancelled.
        """
        if isinstance(requested_schema, dict):
            answers = await self.ask(
                {key: elicitation_request(message, requested_schema)}, state=state, timeout=timeout, task=task
            )
            return answers[key]
        from mcpcore.registry.elicitation import typed_form  # deferred: it imports the schema deriver

        form = typed_form(requested_schema)
        answers = await self.ask(
            {key: elicitation_request(message, form.schema)}, state=state, timeout=timeout, task=task
        )
        return form.read(answers[key])

    async def elicit_url(
        self,
        message: str,
        url: str,
        *,
        elicitation_id: str | None = None,
        key: str = "elicitation",
        state: Any = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Ask the user to visit ``url`` (URL-mode elicitation; client needs ``elicitation.url``)."""
        if not self.modern and elicitation_id is None:
            elicitation_id = os.urandom(16).hex()  # 2025-11-25 requires one
        request = url_elicitation_request(message, url, None if self.modern else elicitation_id)
        answers = await self.ask({key: request}, state=state, timeout=timeout)
        return answers[key]  # type: ignore[no-any-return]

    async def sample(
        self,
        messages: str | list[dict[str, Any]],
        max_tokens: int,
        *,
        key: str = "sampling",
        state: Any = None,
        timeout: float | None = None,
        task: bool | int = False,
        **options: Any,
    ) -> dict[str, Any]:
        """Ask the client's model for a message; returns the CreateMessageResult.

        ``task`` (2025-11-25): run it on the client as a task (see :meth:`ask`).

        ``options`` are the other ``sampling/createMessage`` params in wire
        spelling (``systemPrompt``, ``temperature``, ``modelPreferences``...).
        """
        request = sampling_request(messages, max_tokens, **options)
        answers = await self.ask({key: request}, state=state, timeout=timeout, task=task)
        return answers[key]  # type: ignore[no-any-return]

    async def list_roots(
        self, *, key: str = "roots", state: Any = None, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """The client's roots (``[{"uri": ..., "name": ...}]``)."""
        answers = await self.ask({key: roots_request()}, state=state, timeout=timeout)
        roots = answers[key].get("roots")
        return roots if type(roots) is list else []

    async def ping(self, *, timeout: float | None = None) -> None:
        """Ping the client (legacy only: 2026-07-28 has no server-to-client requests)."""
        if self.modern:
            raise ClientCapabilityError("a 2026-07-28 server cannot send requests to the client")
        if timeout is None:
            timeout = self.connection.server.client_request_timeout
        await self._client_request("ping", None, timeout)
