"""Who hears about what: log levels, resource subscriptions, ``list_changed``, listen streams.

Legacy connections (``initialize`` handshake) keep two pieces of state here:
the minimum log level set by ``logging/setLevel`` and the URIs subscribed with
``resources/subscribe``. Both live in a weak map keyed by the connection, so
nothing outlives it.

2026-07-28 clients have no connection state; they open a
``subscriptions/listen`` request that stays open (over stdio, until the client
cancels it with ``notifications/cancelled`` or the server shuts down). The
first message of a stream is ``notifications/subscriptions/acknowledged`` with
the honoured subset of the filter; every notification on it carries
``_meta["io.modelcontextprotocol/subscriptionId"]`` (the listen request's id),
and only the requested kinds are ever sent.

Nothing here knows the transport: everything goes through
``Connection.notify_nowait``.

Every server event (a ``list_changed``, a resource update, a notification
addressed to one connection such as ``notifications/tasks/status``) goes
through the server's :class:`~mcpcore.stores.bus.SubscriptionBus`: it is
published, and only what arrives from the bus is fanned out to this
process's listeners. With the in-memory bus that is a direct call (the
single-process behaviour); with a shared bus (Redis) a change made on one
replica reaches listen streams, GET streams and subscribed sessions on every
replica. Each listener's own stream bounds what it buffers.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import orjson

from mcpcore.context import Context
from mcpcore.registry.tasks import STATUS, declares_extension, missing_extension, modern_view
from mcpcore.session import LOG_LEVELS

if TYPE_CHECKING:
    from mcpcore.router import Connection
    from mcpcore.server import Server
    from mcpcore.stores.bus import SubscriptionBus

__all__ = ["BUS_TOPICS", "LOG_SEVERITY", "META_SUBSCRIPTION_ID", "ListenStream", "Subscriptions"]

_log = logging.getLogger("mcpcore.server")

#: Bus topics: a ``list_changed`` (payload: the kind), a resource update (the URI), a notification
#: for one connection (JSON: address, method, params).
TOPIC_LIST_CHANGED: Final = "list_changed"
TOPIC_RESOURCE_UPDATED: Final = "resource_updated"
TOPIC_ADDRESSED: Final = "addressed"
#: A 2026-07-28 task's status for the listen streams following it (JSON: owner, taskId, method, params).
TOPIC_TASK: Final = "task"
BUS_TOPICS: Final = (TOPIC_LIST_CHANGED, TOPIC_RESOURCE_UPDATED, TOPIC_ADDRESSED, TOPIC_TASK)
#: At most this many ``taskIds`` of one listen request are looked up and agreed to (the rest are not).
MAX_LISTEN_TASK_IDS: Final = 100

META_SUBSCRIPTION_ID: Final = "io.modelcontextprotocol/subscriptionId"
#: RFC 5424 severities in increasing order.
LOG_SEVERITY: Final[dict[str, int]] = {level: rank for rank, level in enumerate(LOG_LEVELS)}

#: list_changed kind -> (filter field, notification method, server capability)
_KINDS: Final[dict[str, tuple[str, str]]] = {
    "tools": ("toolsListChanged", "notifications/tools/list_changed"),
    "prompts": ("promptsListChanged", "notifications/prompts/list_changed"),
    "resources": ("resourcesListChanged", "notifications/resources/list_changed"),
}


@dataclass(slots=True)
class _ConnectionState:
    log_level: str | None = None
    resource_subscriptions: set[str] = field(default_factory=set)
    listens: dict[int | str, ListenStream] = field(default_factory=dict)
    hooked: bool = False
    address: str | None = None


@dataclass(slots=True)
class ListenStream:
    """One open ``subscriptions/listen`` request."""

    context: Context
    kinds: frozenset[str]
    uris: frozenset[str]
    done: asyncio.Future[None]
    #: The tasks whose ``notifications/tasks`` this stream gets, and their owner (the requester).
    task_ids: frozenset[str] = frozenset()
    task_owner: str | None = None

    @property
    def request_id(self) -> int | str:
        assert self.context.request_id is not None
        return self.context.request_id

    def send(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send on this stream, unless it was cancelled (the task may not have seen it yet)."""
        if self.context.cancelled:
            return
        tagged = dict(params) if params else {}
        tagged["_meta"] = {META_SUBSCRIPTION_ID: self.request_id}
        self.context.connection.notify_nowait(method, tagged, responder=self.context.responder)


class Subscriptions:
    """Per-connection notification state and the fan-out of server events."""

    def __init__(self, server: Server, bus: SubscriptionBus) -> None:
        self._server = server
        self._state: weakref.WeakKeyDictionary[Connection, _ConnectionState] = weakref.WeakKeyDictionary()
        #: Connections that notifications can be addressed to (see :meth:`address_of`).
        self._addressed: weakref.WeakValueDictionary[str, Connection] = weakref.WeakValueDictionary()
        self.bus = bus
        self._unsubscribe = bus.subscribe(BUS_TOPICS, self._from_bus)

    def use_bus(self, bus: SubscriptionBus) -> None:
        """Carry server events over ``bus`` from now on (before serving starts: ``Server.use_store``)."""
        self._unsubscribe()
        self.bus = bus
        self._unsubscribe = bus.subscribe(BUS_TOPICS, self._from_bus)

    def state(self, connection: Connection) -> _ConnectionState:
        state = self._state.get(connection)
        if state is None:
            state = self._state[connection] = _ConnectionState()
        return state

    def forget(self, connection: Connection) -> None:
        """Drop a connection's state (it has ended)."""
        state = self._state.pop(connection, None)
        if state is not None:
            if state.address is not None:
                self._addressed.pop(state.address, None)
            for stream in list(state.listens.values()):
                if not stream.done.done():
                    stream.done.set_result(None)

    # ------------------------------------------------------------- logging

    def set_level(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``logging/setLevel`` (legacy): the connection's minimum level for ``notifications/message``."""
        level = params["level"]  # one of the levels: shape checked by mcpcore.inbound
        self.state(context.connection).log_level = level
        return {}

    def log_threshold(self, connection: Connection) -> str | None:
        """The level set with ``logging/setLevel`` on a legacy connection (``None``: not set)."""
        state = self._state.get(connection)
        return state.log_level if state is not None else None

    def restore(self, connection: Connection, log_level: str | None, uris: list[str]) -> None:
        """Give a connection the level and subscriptions its session had elsewhere (another replica)."""
        state = self.state(connection)
        state.log_level = log_level
        state.resource_subscriptions = set(uris)

    def subscribed(self, connection: Connection) -> list[str]:
        """The URIs a legacy connection subscribed to, sorted (empty when none)."""
        state = self._state.get(connection)
        return sorted(state.resource_subscriptions) if state is not None else []

    # --------------------------------------------------- resource updates

    def subscribe(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``resources/subscribe`` (legacy)."""
        self.state(context.connection).resource_subscriptions.add(params["uri"])
        return {}

    def unsubscribe(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``resources/unsubscribe`` (legacy); unsubscribing from an unknown URI is not an error."""
        self.state(context.connection).resource_subscriptions.discard(params["uri"])
        return {}

    def resource_updated(self, uri: str) -> None:
        """Tell legacy subscribers and listen streams, on every replica, that ``uri`` changed."""
        self.bus.publish(TOPIC_RESOURCE_UPDATED, uri.encode())

    def _deliver_resource_updated(self, uri: str) -> None:
        for connection, state in list(self._state.items()):
            if uri in state.resource_subscriptions and not connection.closed:
                connection.notify_nowait("notifications/resources/updated", {"uri": uri})
            for stream in state.listens.values():
                if uri in stream.uris:
                    stream.send("notifications/resources/updated", {"uri": uri})

    # ------------------------------------------------------- list_changed

    def list_changed(self, kind: str) -> None:
        """Send ``notifications/<kind>/list_changed`` to sessions and listen streams on every replica."""
        if kind not in _KINDS:
            raise ValueError(f"unknown list kind {kind!r}")
        self.bus.publish(TOPIC_LIST_CHANGED, kind.encode())

    def _deliver_list_changed(self, kind: str) -> None:
        field_name, method = _KINDS[kind]
        for connection in list(self._server.connections):
            if connection.session.envelope is not None and not connection.closed:
                connection.notify_nowait(method)
        for state in list(self._state.values()):
            for stream in state.listens.values():
                if field_name in stream.kinds:
                    stream.send(method)

    # --------------------------------------------------- addressed notifications

    def bind_address(self, connection: Connection, address: str) -> None:
        """Name ``connection`` for :meth:`notify_address` (a legacy HTTP session: its session id)."""
        state = self.state(connection)
        if state.address is not None:
            self._addressed.pop(state.address, None)
        state.address = address
        self._addressed[address] = connection
        self._hook(connection, state)

    def address_of(self, connection: Connection) -> str:
        """The name under which ``connection`` gets :meth:`notify_address` messages (random unless bound)."""
        state = self.state(connection)
        if state.address is None:
            self.bind_address(connection, secrets.token_urlsafe(18))
        assert state.address is not None
        return state.address

    def notify_address(self, address: str, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification to one connection, on whichever replica holds it (e.g. task status).

        The hook for per-owner notifications such as ``notifications/tasks/status``:
        keep ``address_of(connection)`` with the record, and call this on change.
        """
        payload = orjson.dumps({"to": address, "method": method, "params": params})
        self.bus.publish(TOPIC_ADDRESSED, payload)

    def _deliver_addressed(self, address: str, method: str, params: dict[str, Any] | None) -> None:
        connection = self._addressed.get(address)
        if connection is not None and not connection.closed:
            connection.notify_nowait(method, params)

    def notify_task(self, owner: str, task_id: str, method: str, params: dict[str, Any]) -> None:
        """Send a task's status to the listen streams following it, on every replica.

        Only a stream opened by the task's owner that asked for (and was
        agreed) this ``taskId`` gets it: another principal never does, even
        holding the id.
        """
        payload = orjson.dumps({"owner": owner, "taskId": task_id, "method": method, "params": params})
        self.bus.publish(TOPIC_TASK, payload)

    def _deliver_task(self, owner: str, task_id: str, method: str, params: dict[str, Any]) -> None:
        for state in list(self._state.values()):
            for stream in list(state.listens.values()):
                if task_id in stream.task_ids and stream.task_owner == owner:
                    stream.send(method, params)

    def _from_bus(self, topic: str, payload: bytes) -> None:
        """A server event from the bus (published by this process or another replica)."""
        try:
            text = payload.decode()
            if topic == TOPIC_ADDRESSED:
                message = orjson.loads(text)
                address, method, params = message["to"], message["method"], message["params"]
                if type(address) is not str or type(method) is not str:
                    raise TypeError("address and method are strings")
            elif topic == TOPIC_TASK:
                message = orjson.loads(text)
                owner, task_id, method, params = (
                    message["owner"],
                    message["taskId"],
                    message["method"],
                    message["params"],
                )
                if not (type(owner) is type(task_id) is type(method) is str and type(params) is dict):
                    raise TypeError("owner, taskId and method are strings, params an object")
        except (UnicodeDecodeError, orjson.JSONDecodeError, KeyError, TypeError):
            _log.warning("subscription bus: ignored a malformed %s message", topic)
            return
        if topic == TOPIC_LIST_CHANGED:
            if text in _KINDS:
                self._deliver_list_changed(text)
        elif topic == TOPIC_RESOURCE_UPDATED:
            self._deliver_resource_updated(text)
        elif topic == TOPIC_ADDRESSED:
            self._deliver_addressed(address, method, params if type(params) is dict else None)
        elif topic == TOPIC_TASK:
            self._deliver_task(owner, task_id, method, params)

    # ------------------------------------------------------------- listen

    def listen(self, params: dict[str, Any], context: Context) -> Any:
        """``subscriptions/listen`` (2026-07-28): acknowledge now; stay open until cancelled or shutdown."""
        wanted = params["notifications"]  # every member read here: shape checked by mcpcore.inbound
        capabilities = self._server.capabilities
        honoured: dict[str, Any] = {}
        kinds = set()
        for kind, (field_name, _) in _KINDS.items():
            if wanted.get(field_name) is True and kind in capabilities:
                honoured[field_name] = True
                kinds.add(field_name)
        uris: frozenset[str] = frozenset()
        requested_uris = wanted.get("resourceSubscriptions")
        if requested_uris and "resources" in capabilities:
            uris = frozenset(requested_uris)
            honoured["resourceSubscriptions"] = list(requested_uris)
        task_ids = wanted.get("taskIds")
        if task_ids:
            return self._listen_for_tasks(context, honoured, frozenset(kinds), uris, task_ids)
        stream, state = self._open(context, honoured, frozenset(kinds), uris)
        return self._hold(stream, state)

    def _open(
        self,
        context: Context,
        honoured: dict[str, Any],
        kinds: frozenset[str],
        uris: frozenset[str],
        *,
        task_ids: frozenset[str] = frozenset(),
        task_owner: str | None = None,
    ) -> tuple[ListenStream, _ConnectionState]:
        """Acknowledge and register a stream (synchronously: nothing is missed between the two)."""
        loop = asyncio.get_running_loop()
        stream = ListenStream(context, kinds, uris, loop.create_future(), task_ids, task_owner)
        stream.send("notifications/subscriptions/acknowledged", {"notifications": honoured})
        state = self.state(context.connection)
        state.listens[stream.request_id] = stream
        self._hook(context.connection, state)
        return stream, state

    async def _listen_for_tasks(
        self,
        context: Context,
        honoured: dict[str, Any],
        kinds: frozenset[str],
        uris: frozenset[str],
        requested: list[str],
    ) -> dict[str, Any]:
        """A listen stream that also asked for ``notifications/tasks`` (the tasks extension).

        Without the extension declared on the request: -32021 (the extension
        says "MUST return a JSON-RPC error specifying the missing
        capabilities"). Only the requester's own tasks are agreed to (looked
        up in the task store under its owner key, at most
        :data:`MAX_LISTEN_TASK_IDS`); an unknown id, or another principal's,
        is left out of the acknowledgement and never notified. Right after the
        acknowledgement each agreed task's current state is sent once, so a
        task that changed before the stream opened is not missed.
        """
        tasks = self._server.tasks
        if not declares_extension(context.client_capabilities):
            raise missing_extension()
        owner = tasks.owner_of(context) if tasks.enabled else None
        agreed: list[str] = []
        if owner is not None:
            for task_id in dict.fromkeys(requested):
                if len(agreed) == MAX_LISTEN_TASK_IDS:
                    break
                if await tasks.store.get(task_id, owner) is not None:
                    agreed.append(task_id)
        if agreed:
            honoured["taskIds"] = agreed
        stream, state = self._open(
            context, honoured, kinds, uris, task_ids=frozenset(agreed), task_owner=owner
        )
        for task_id in agreed:
            assert owner is not None  # something was agreed
            data = await tasks.store.get(task_id, owner)
            if data is not None:
                stream.send(STATUS, modern_view(data, detailed=True))
        return await self._hold(stream, state)

    def _hook(self, connection: Connection, state: _ConnectionState) -> None:
        if not state.hooked:
            state.hooked = True
            connection.on_shutdown.append(lambda: self.forget(connection))

    async def _hold(self, stream: ListenStream, state: _ConnectionState) -> dict[str, Any]:
        try:
            await stream.done
        finally:
            state.listens.pop(stream.request_id, None)
        return {"_meta": {META_SUBSCRIPTION_ID: stream.request_id}}

    def listen_count(self) -> int:
        """Open listen streams (for tests and metrics)."""
        return sum(len(state.listens) for state in self._state.values())
