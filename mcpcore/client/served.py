"""The requests a server sends this client: ``ping``, sampling, elicitation, roots, tasks.

One contract in one place: which methods the client serves (its handlers,
declared as capabilities), how each server request is checked at the
boundary (:data:`mcpcore.inbound.CLIENT`), and how it runs — each in its own
task (legacy era), cancellable by the server's ``notifications/cancelled``,
answered once with a result or a JSON-RPC error. The same handlers answer a
2026-07-28 ``InputRequiredResult``'s ``inputRequests`` (MRTR) and a task's
input requests, through :meth:`ServedRequests.answer`.

:class:`~mcpcore.client.session.ClientSession` owns one and hands it every
request the server sends; nothing here reads a socket.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import orjson

from mcpcore import jsonrpc
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    RemoteProtocolError,
    RpcError,
)
from mcpcore.inbound import CLIENT

if TYPE_CHECKING:
    from mcpcore.client.session import ClientSession
    from mcpcore.client.tasks import ClientTasks

__all__ = ["CLIENT_FEATURES", "RequestHandler", "ServedRequests", "derive_capabilities", "invoke", "pong"]

_log = logging.getLogger("mcpcore.client")

#: A handler for a server -> client request: params in, result (or awaitable result) out.
RequestHandler = Callable[[dict[str, Any]], Any]

#: Server -> client request kinds and the client capability each needs.
CLIENT_FEATURES: Final = {
    "sampling/createMessage": "sampling",
    "elicitation/create": "elicitation",
    "roots/list": "roots",
    "tasks/get": "tasks",
    "tasks/result": "tasks",
    "tasks/list": "tasks",
    "tasks/cancel": "tasks",
}


def pong(params: dict[str, Any]) -> dict[str, Any]:
    """``ping``: every client answers it, declared or not."""
    return {}


def derive_capabilities(handlers: dict[str, RequestHandler], tasks: ClientTasks | None) -> dict[str, Any]:
    """The capabilities a client declares for the handlers it was given."""
    capabilities: dict[str, Any] = {}
    if "sampling/createMessage" in handlers:
        capabilities["sampling"] = {}
    if "elicitation/create" in handlers:
        capabilities["elicitation"] = {}
    if "roots/list" in handlers:
        capabilities["roots"] = {"listChanged": True}
    if tasks is not None:
        capabilities["tasks"] = tasks.capability(set(handlers))
    return capabilities


async def invoke(handler: RequestHandler, params: Any) -> Any:
    """Call a handler that may be a plain function or a coroutine function."""
    outcome = handler(params)
    if inspect.isawaitable(outcome):
        outcome = await outcome
    return outcome


class ServedRequests:
    """The server's requests being served by one client session (see the module docstring).

    It reads the session's public configuration (``handlers``,
    ``capabilities``, ``tasks``, ``server``) at each request, so a client that
    adjusts its capabilities after construction is served accordingly.
    """

    def __init__(self, session: ClientSession) -> None:
        self._session = session
        self._in_flight: dict[int | str, asyncio.Task[None]] = {}

    def declares(self, method: str) -> bool:
        """Whether the client declared the capability ``method`` needs (``ping`` needs none)."""
        capability = CLIENT_FEATURES.get(method)
        return capability is None or capability in self._session.capabilities

    def receive(self, msg: dict[str, Any]) -> None:
        """One request from the server (already classified): refuse it, or serve it in its own task."""
        session = self._session
        request_id: int | str = msg["id"]
        method: str = msg["method"]
        handler = session.handlers.get(method)
        if handler is None or not self.declares(method):
            session.write(
                jsonrpc.encode_error(request_id, RpcError(METHOD_NOT_FOUND, f"Method not found: {method}"))
            )
            return
        if request_id in self._in_flight:
            message = f"Invalid request: id {request_id!r} is already in use"
            session.write(jsonrpc.encode_error(request_id, RpcError(INVALID_REQUEST, message)))
            return
        params = msg.get("params")
        if params is None:
            params = {}
        problem = CLIENT.request_problem(method, params)
        if problem is not None:
            error = RpcError(INVALID_PARAMS, f"Invalid params: {problem}")
            session.write(jsonrpc.encode_error(request_id, error))
            return
        if session.tasks is not None and "task" in params:
            version = session.server.protocol_version if session.server is not None else None
            handler = session.tasks.augmented(handler, method, version, session.capabilities)
        task = asyncio.ensure_future(self._serve(request_id, method, handler, params))
        self._in_flight[request_id] = task
        task.add_done_callback(lambda _t: self._in_flight.pop(request_id, None))

    def cancel(self, request_id: object) -> bool:
        """The server cancelled one of its requests: stop serving it (True if one was running)."""
        task = self._in_flight.get(request_id)  # type: ignore[call-overload]
        if task is None:
            return False
        task.cancel()
        return True

    def close(self) -> None:
        """The connection is gone: stop everything served for the server."""
        for task in list(self._in_flight.values()):
            task.cancel()

    async def _serve(self, request_id: int | str, method: str, handler: RequestHandler, params: Any) -> None:
        write = self._session.write
        try:
            result = await invoke(handler, params)
        except asyncio.CancelledError:
            return  # the server cancelled its request: no answer
        except RpcError as exc:
            write(jsonrpc.encode_error(request_id, exc))
        except Exception:
            _log.exception("client handler for %s failed", method)
            write(jsonrpc.encode_error(request_id, RpcError(INTERNAL_ERROR, "Internal error")))
        else:
            try:
                frame = jsonrpc.encode_result(request_id, result)
            except (TypeError, orjson.JSONEncodeError):
                _log.exception("the result of the client handler for %s cannot be serialized", method)
                frame = jsonrpc.encode_error(request_id, RpcError(INTERNAL_ERROR, "Internal error"))
            write(frame)

    async def answer(self, requests: dict[str, Any]) -> dict[str, Any]:
        """The client's answers to a server's ``inputRequests`` (MRTR or a task's), by key."""
        responses: dict[str, Any] = {}
        for key, request in requests.items():
            method: str = request["method"]
            handler = self._session.handlers.get(method)
            if handler is None or not self.declares(method):
                raise RpcError(
                    METHOD_NOT_FOUND, f"server asked for {method!r}, which this client does not offer"
                )
            request_params = request.get("params") or {}
            problem = CLIENT.request_problem(method, request_params)
            if problem is not None:
                raise RemoteProtocolError(
                    RpcError(INTERNAL_ERROR, f"malformed inputRequests[{key!r}]: {problem}")
                )
            responses[key] = await invoke(handler, request_params)
        return responses
