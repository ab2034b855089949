"""Multi-round-trip requests (2026-07-28): ``InputRequiredResult`` and sealed ``requestState``.

From 2026-07-28 a server never sends requests to the client. A handler that
needs the user or the client's model answers with
``{"resultType": "input_required", "inputRequests": {...}, "requestState": "..."}``;
the client fulfils the requests and retries the same call with
``inputResponses`` (keyed like ``inputRequests``) and the ``requestState``
echoed byte for byte.

Handlers do not build these results by hand: :meth:`Context.ask` (and
``elicit``/``sample``/``list_roots``) either returns the answers present on
this retry or raises :class:`InputRequired`, which the router turns into the
result. The same handler code, on a legacy connection, sends real
server-to-client requests instead.

``requestState`` is attacker-controlled text, so it is sealed:
``base64url(payload) "." base64url(HMAC-SHA256(key, payload))``, where the
payload binds the method, a digest of the params (without ``_meta``,
``inputResponses`` and ``requestState``), an expiry time, and the handler's
own state. The state is integrity-protected, not encrypted: do not put
secrets in it. The key is random per process unless configured
(``Server(state_key=...)``), which multi-replica deployments must do.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Mapping
from typing import Any, Final

import orjson

from mcpcore.errors import INTERNAL_ERROR, INVALID_PARAMS, MISSING_CLIENT_CAPABILITY, RpcError
from mcpcore.inbound import SERVER

__all__ = [
    "MRTR_METHODS",
    "TASK_REQUESTS",
    "ClientCapabilityError",
    "ClientRequestError",
    "InputRequired",
    "StateSealer",
    "check_response",
    "elicitation_request",
    "hosts_tasks",
    "missing_capability",
    "required_capability",
    "roots_request",
    "sampling_request",
    "url_elicitation_request",
]

#: The only requests whose answer may be an InputRequiredResult.
MRTR_METHODS: Final = frozenset({"tools/call", "prompts/get", "resources/read"})
#: Params that belong to one retry and are not part of what a state is bound to.
_UNBOUND: Final = ("_meta", "inputResponses", "requestState")
DEFAULT_STATE_TTL: Final = 600.0


class InputRequired(RpcError):
    """Raised (by ``Context.ask`` or a handler) to answer with an InputRequiredResult.

    It subclasses :class:`RpcError` only so that every layer that lets
    protocol errors through (a tool's error-to-result conversion, for one)
    lets it through too; the router answers it with a result, not an error.
    """

    def __init__(self, input_requests: Mapping[str, dict[str, Any]], state: Any = None) -> None:
        super().__init__(INTERNAL_ERROR, "Internal error: input required outside a 2026-07-28 request")
        self.input_requests = dict(input_requests)
        self.state = state


class ClientCapabilityError(Exception):
    """A server-to-client request the client did not declare support for (legacy era; local error)."""


class ClientRequestError(Exception):
    """The client answered a server-to-client request with an error.

    It is deliberately not an :class:`RpcError`: the client's code is not ours
    to forward, so a tool that lets it escape answers ``isError: true`` and
    any other handler -32603.
    """

    def __init__(self, method: str, error: RpcError) -> None:
        super().__init__(f"the client answered {method} with error {error.code}: {error.message}")
        self.method = method
        self.error = error


def missing_capability(capability: dict[str, Any]) -> RpcError:
    """-32021 MissingRequiredClientCapability, for a 2026-07-28 request."""
    name = ", ".join(capability)
    return RpcError(
        MISSING_CLIENT_CAPABILITY,
        f"Missing required client capability: {name}",
        {"requiredCapabilities": capability},
    )


# ------------------------------------------------------------------ requests


def elicitation_request(message: str, requested_schema: dict[str, Any]) -> dict[str, Any]:
    """A form-mode ``elicitation/create`` request."""
    return {
        "method": "elicitation/create",
        "params": {"message": message, "requestedSchema": requested_schema},
    }


def url_elicitation_request(message: str, url: str, elicitation_id: str | None = None) -> dict[str, Any]:
    """A URL-mode ``elicitation/create`` request (``elicitationId`` is 2025-11-25 only)."""
    params: dict[str, Any] = {"mode": "url", "message": message, "url": url}
    if elicitation_id is not None:
        params["elicitationId"] = elicitation_id
    return {"method": "elicitation/create", "params": params}


def sampling_request(messages: str | list[dict[str, Any]], max_tokens: int, **options: Any) -> dict[str, Any]:
    """A ``sampling/createMessage`` request; a string is one user text message."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": {"type": "text", "text": messages}}]
    params: dict[str, Any] = {"messages": messages, "maxTokens": max_tokens}
    params.update({key: value for key, value in options.items() if value is not None})
    return {"method": "sampling/createMessage", "params": params}


def roots_request() -> dict[str, Any]:
    """A ``roots/list`` request."""
    return {"method": "roots/list", "params": {}}


def required_capability(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(top-level capability, requiredCapabilities object)`` a server-to-client request needs."""
    method = request.get("method")
    if method == "elicitation/create":
        if request.get("params", {}).get("mode") == "url":
            return "elicitation", {"elicitation": {"url": {}}}
        return "elicitation", {"elicitation": {}}
    if method == "sampling/createMessage":
        return "sampling", {"sampling": {}}
    if method == "roots/list":
        return "roots", {"roots": {}}
    raise ValueError(f"{method!r} is not a request a server may send to a client")


def declared(capabilities: dict[str, Any], request: dict[str, Any]) -> bool:
    """Whether ``capabilities`` (the client's) allow ``request``."""
    top, _ = required_capability(request)
    declared_cap = capabilities.get(top)
    if type(declared_cap) is not dict:
        return False
    if top == "elicitation":
        mode = request.get("params", {}).get("mode", "form")
        if mode == "url":
            return "url" in declared_cap
        return not declared_cap or "form" in declared_cap  # {} means form only
    return True


#: Server requests a 2025-11-25 client may run as tasks: method -> its ``capabilities.tasks.requests`` path.
TASK_REQUESTS: Final[dict[str, tuple[str, str]]] = {
    "sampling/createMessage": ("sampling", "createMessage"),
    "elicitation/create": ("elicitation", "create"),
}


def hosts_tasks(capabilities: dict[str, Any], method: str) -> bool:
    """Whether a client's ``capabilities`` let its server task-augment ``method`` (2025-11-25).

    The set in ``capabilities.tasks.requests`` is exhaustive: a request type
    not in it is not task-augmentable.
    """
    path = TASK_REQUESTS.get(method)
    tasks = capabilities.get("tasks")
    if path is None or type(tasks) is not dict:
        return False
    requests = tasks.get("requests")
    group = requests.get(path[0]) if type(requests) is dict else None
    return type(group) is dict and type(group.get(path[1])) is dict


def check_response(key: str, request: dict[str, Any], response: Any) -> dict[str, Any]:
    """Check one ``inputResponses`` entry against the kind of request it answers (-32602 if malformed)."""
    method = request["method"]
    problem = SERVER.result_problem(method, response)
    if problem is not None:
        raise RpcError(
            INVALID_PARAMS,
            f"Invalid params: inputResponses[{key!r}] is not a valid answer to {method} ({problem})",
        )
    return response  # type: ignore[no-any-return]


# --------------------------------------------------------------------- state


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Decode, accepting only the canonical form: one token string per sealed state, no aliases."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("non-canonical base64")
    return data


def _digest(params: Mapping[str, Any]) -> str:
    bound = {key: value for key, value in params.items() if key not in _UNBOUND}
    import hashlib  # deferred: only multi-round-trip requests pay for it at start-up

    return hashlib.sha256(orjson.dumps(bound, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


class StateSealer:
    """Seals and opens ``requestState`` with HMAC-SHA256 (stdlib only)."""

    __slots__ = ("_key", "ttl")

    def __init__(self, key: bytes | None = None, *, ttl: float = DEFAULT_STATE_TTL) -> None:
        if key is not None and len(key) < 16:
            raise ValueError("state_key must be at least 16 bytes")
        if ttl <= 0:
            raise ValueError("state ttl must be > 0 seconds")
        self._key = key if key is not None else os.urandom(32)
        self.ttl = ttl

    def seal(self, method: str, params: Mapping[str, Any], state: Any, *, now: float | None = None) -> str:
        """The opaque ``requestState`` for ``state``, bound to this method and params."""
        expires = int((time.time() if now is None else now) + self.ttl)
        payload = orjson.dumps({"m": method, "d": _digest(params), "x": expires, "s": state})
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def _mac(self, payload: bytes) -> bytes:
        import hashlib  # deferred: only multi-round-trip requests pay for these at start-up
        import hmac

        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def open(self, method: str, params: Mapping[str, Any], token: object, *, now: float | None = None) -> Any:
        """The state sealed in ``token``; -32602 if it is forged, altered, expired or for another call."""
        if type(token) is not str:
            raise RpcError(INVALID_PARAMS, 'Invalid params: "requestState" must be a string')
        body, dot, signature = token.rpartition(".")
        try:
            if not dot:
                raise ValueError(token)
            payload = _unb64(body)
            mac = _unb64(signature)
        except (ValueError, binascii.Error):
            raise _bad_state("it is malformed") from None
        import hmac

        if not hmac.compare_digest(mac, self._mac(payload)):
            raise _bad_state("its integrity check failed")
        sealed = orjson.loads(payload)
        if sealed["m"] != method or sealed["d"] != _digest(params):
            raise _bad_state("it was issued for a different request")
        if sealed["x"] < (time.time() if now is None else now):
            raise _bad_state("it has expired")
        return sealed["s"]


def _bad_state(reason: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid params: requestState rejected: {reason}")


def input_required_result(
    sealer: StateSealer, method: str, params: Mapping[str, Any], exc: InputRequired
) -> dict[str, Any]:
    """The InputRequiredResult for ``exc`` (-32603 on a method that cannot carry one)."""
    if method not in MRTR_METHODS:
        raise RpcError(INTERNAL_ERROR, f"Internal error: {method} cannot ask the client for input")
    result: dict[str, Any] = {"resultType": "input_required"}
    if exc.input_requests:
        result["inputRequests"] = exc.input_requests
    if exc.state is not None:
        result["requestState"] = sealer.seal(method, params, exc.state)
    if len(result) == 1:
        raise RpcError(INTERNAL_ERROR, "Internal error: an input-required answer needs requests or state")
    return result
