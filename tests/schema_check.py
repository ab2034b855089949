"""Validate what a server sends against the official JSON schema of its protocol version.

``schema_for(version)`` compiles one version's schema (``tests/schemas/<version>/schema.json``,
draft-07 or 2020-12 by its ``$schema``) once; ``check(version, definition, instance)``
validates one value against one of its definitions and raises ``AssertionError`` with every
problem listed.

``SchemaCheckedPeer`` is a :class:`tests.helpers.StdioPeer` that checks every message it
receives: a response against the JSON-RPC envelope *and* the result type of the method it
answers (``InputRequiredResult`` when ``resultType`` says so), a notification against the
server-notification union, a server-to-client request against the server-request union.
The version is the one the request was served under: the 2026-07-28 envelope's version for
modern requests, the negotiated version for legacy ones. Notifications are checked against
the versions in use on the connection.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator
from jsonschema.protocols import Validator

from tests.helpers import MODERN_VERSION, StdioPeer

SCHEMAS = Path(__file__).resolve().parent / "schemas"

#: The result definition answering each client request.
RESULT_TYPES: dict[str, str] = {
    "initialize": "InitializeResult",
    "ping": "EmptyResult",
    "server/discover": "DiscoverResult",
    "tools/list": "ListToolsResult",
    "tools/call": "CallToolResult",
    "resources/list": "ListResourcesResult",
    "resources/templates/list": "ListResourceTemplatesResult",
    "resources/read": "ReadResourceResult",
    "resources/subscribe": "EmptyResult",
    "resources/unsubscribe": "EmptyResult",
    "prompts/list": "ListPromptsResult",
    "prompts/get": "GetPromptResult",
    "completion/complete": "CompleteResult",
    "logging/setLevel": "EmptyResult",
    "subscriptions/listen": "SubscriptionsListenResult",
    "tasks/get": "GetTaskResult",
    "tasks/cancel": "CancelTaskResult",
    "tasks/list": "ListTasksResult",
    "tasks/result": "GetTaskPayloadResult",
}


@functools.cache
def _document(version: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / version / "schema.json").read_text())  # type: ignore[no-any-return]


@functools.cache
def _validator(version: str, definition: str) -> Validator:
    document = _document(version)
    modern = "2020-12" in document.get("$schema", "")
    defs = "$defs" if modern else "definitions"
    if definition not in document[defs]:
        raise KeyError(f"{version} defines no {definition}")
    schema = {**document, "$ref": f"#/{defs}/{definition}"}
    cls = Draft202012Validator if modern else Draft7Validator
    return cls(schema)  # type: ignore[no-any-return]


def has_definition(version: str, definition: str) -> bool:
    document = _document(version)
    return definition in document.get("$defs", document.get("definitions", {}))


def check(version: str, definition: str, instance: Any) -> None:
    """Raise ``AssertionError`` unless ``instance`` is a valid ``definition`` of ``version``."""
    errors = sorted(_validator(version, definition).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(
            f"{'/'.join(map(str, e.path)) or '<root>'}: {e.message[:300]}" for e in errors[:5]
        )
        raise AssertionError(f"not a valid {version} {definition}: {details}\n{json.dumps(instance)[:2000]}")


def _first_valid(versions: list[str], definition: str, instance: Any) -> None:
    failures = []
    for version in versions:
        try:
            check(version, definition, instance)
            return
        except AssertionError as exc:
            failures.append(str(exc))
    raise AssertionError("\n".join(failures))


def check_response(version: str, method: str | None, message: dict[str, Any]) -> None:
    """A response (result or error) the server sent for ``method`` under ``version``."""
    if "error" in message:
        envelope = "JSONRPCError" if has_definition(version, "JSONRPCError") else "JSONRPCErrorResponse"
        check(version, envelope, message)
        return
    envelope = (
        "JSONRPCResultResponse" if has_definition(version, "JSONRPCResultResponse") else "JSONRPCResponse"
    )
    check(version, envelope, message)
    result = message["result"]
    if method is None:
        return
    definition = RESULT_TYPES.get(method)
    if (
        version == MODERN_VERSION
        and isinstance(result, dict)
        and result.get("resultType") == "input_required"
    ):
        definition = "InputRequiredResult"
    if isinstance(result, dict) and method == "tools/call" and "task" in result and version != MODERN_VERSION:
        definition = "CreateTaskResult"  # 2025-11-25 task-augmented call
    if isinstance(result, dict) and result.get("resultType") == "task":
        definition = "Result"  # the tasks extension's CreateTaskResult is not in the core schema
    if definition is not None and has_definition(version, definition):
        check(version, definition, result)


def check_notification(versions: list[str], message: dict[str, Any]) -> None:
    _first_valid(versions, "JSONRPCNotification", message)
    _first_valid(versions, "ServerNotification", message)


def check_request(versions: list[str], message: dict[str, Any]) -> None:
    _first_valid(versions, "JSONRPCRequest", message)
    _first_valid(versions, "ServerRequest", message)


class SchemaCheckedPeer(StdioPeer):
    """A stdio peer that validates every message it receives against the right schema."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: dict[Any, tuple[str, str | None]] = {}  # id -> (method, modern version or None)
        self.negotiated: str | None = None
        self.checked = 0

    def send(self, message: Any) -> None:
        if isinstance(message, dict) and "method" in message and "id" in message:
            meta = (message.get("params") or {}).get("_meta") or {}
            modern = meta.get("io.modelcontextprotocol/protocolVersion") if isinstance(meta, dict) else None
            self.sent[message["id"]] = (message["method"], modern if isinstance(modern, str) else None)
        super().send(message)

    def versions_in_use(self) -> list[str]:
        used = [self.negotiated] if self.negotiated else []
        if any(modern for _, modern in self.sent.values()) or not used:
            used.append(MODERN_VERSION)
        return used

    def recv(self, timeout: float = 20.0) -> Any:
        message = super().recv(timeout)
        if isinstance(message, list):
            for item in message:
                self._check(item)
        else:
            self._check(message)
        return message

    def _check(self, message: dict[str, Any]) -> None:
        if "method" in message:
            if "id" in message:
                check_request(self.versions_in_use(), message)
            else:
                check_notification(self.versions_in_use(), message)
        else:
            method, modern = self.sent.get(message.get("id"), (None, None))
            if method == "initialize" and "result" in message:
                self.negotiated = message["result"]["protocolVersion"]
            version = modern or (self.negotiated if method != "initialize" else None)
            if version is None:
                version = message.get("result", {}).get("protocolVersion") if "result" in message else None
            if version is None or not (SCHEMAS / version).is_dir():
                version = self.versions_in_use()[0]
            check_response(version, method, message)
        self.checked += 1
