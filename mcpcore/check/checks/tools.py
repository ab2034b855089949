"""Tools: calls with generated valid arguments, unknown tools, invalid arguments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from jsonschema.validators import validator_for

from mcpcore import versions
from mcpcore.check.checks.common import SPEC_2025, may_call
from mcpcore.check.probe import Probe
from mcpcore.check.registry import Fail, NotApplicable, check
from mcpcore.check.sample import sample_arguments
from mcpcore.errors import RemoteProtocolError, RequestTimeoutError, RpcError

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

TOOLS = f"{SPEC_2025}/server/tools"
_TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@check(
    "tools.names",
    "tool names are 1-128 characters of A-Z a-z 0-9 _ - . and unique",
    level="SHOULD",
    versions=(versions.V2025_11_25, *versions.MODERN_VERSIONS),
    url=f"{TOOLS}#tool-names",
    clause="Tool names SHOULD be between 1 and 128 characters, use only A-Z, a-z, 0-9, underscore, "
    "hyphen and dot, and be unique within a server.",
)
async def _tool_names(b: Battery) -> str | None:
    if not b.facts.tools:
        raise NotApplicable("the server lists no tools")
    names = [t.get("name") for t in b.facts.tools]
    odd = [n for n in names if type(n) is not str or not _TOOL_NAME.fullmatch(n)]
    if odd:
        raise Fail(f"tool name(s) outside the recommended form: {', '.join(map(repr, odd[:5]))}")
    repeated = sorted({str(n) for n in names if names.count(n) > 1})
    if repeated:
        raise Fail(f"tool name(s) listed more than once: {', '.join(map(repr, repeated[:5]))}")
    return f"{len(names)} name(s)"


@check(
    "tools.call",
    "tools called with generated valid arguments give well-formed results",
    url=f"{TOOLS}#structured-content",
    clause="If an output schema is provided, servers MUST provide structured results that conform to "
    "this schema; content is an array of content items (schema).",
)
async def _tools_call(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    if not b.facts.tools:
        raise NotApplicable("the server lists no tools")
    called, skipped, untexted = [], [], []
    probe = await b.connected("tools.call")
    try:
        for tool in b.facts.tools:
            name = tool.get("name")
            schema = tool.get("inputSchema") or {"type": "object"}
            if not may_call(b, tool):
                skipped.append(f"{name} (not read-only)")
                continue
            arguments = sample_arguments(schema)
            try:
                valid = validator_for(schema)(schema).is_valid(arguments)
            except Exception:
                valid = False
            if not valid:
                skipped.append(f"{name} (could not generate arguments)")
                continue
            try:
                result = await probe.s.request(
                    "tools/call", {"name": name, "arguments": arguments}, timeout=b.target.timeout
                )
            except RequestTimeoutError:
                raise Fail(
                    f"tools/call {name} with {arguments} got no answer within {b.target.timeout} s"
                ) from None
            except RpcError as exc:
                raise Fail(
                    f"tools/call {name} with valid arguments {arguments} failed: {exc.code} {exc.message}",
                    level="INFO",
                    clause="A tool may fail for reasons of its own; a protocol error for arguments its "
                    "inputSchema accepts is worth a look, not a spec violation.",
                ) from None
            except RemoteProtocolError as exc:  # the client's inbound contract refused the result
                raise Fail(f"tools/call {name}: {exc.error.message}", exc.error.data) from None
            if type(result.get("content")) is not list:
                raise Fail(f"tools/call {name}: content is not an array", result)
            output_schema = tool.get("outputSchema")
            if output_schema and not result.get("isError"):
                if "structuredContent" not in result:
                    raise Fail(f"tools/call {name}: outputSchema declared but no structuredContent", result)
                problems = [
                    e.message
                    for e in validator_for(output_schema)(output_schema).iter_errors(
                        result["structuredContent"]
                    )
                ]
                if problems:
                    raise Fail(
                        f"tools/call {name}: structuredContent does not match outputSchema: {problems[0]}",
                        result,
                    )
            content = result["content"]
            if "structuredContent" in result and not any(
                type(item) is dict and item.get("type") == "text" for item in content
            ):
                untexted.append(str(name))
            called.append(str(name))
    finally:
        await probe.__aexit__(None, None, None)
    if not called:
        raise NotApplicable("no tool called: " + ", ".join(skipped) + " (use --call-tools all)")
    if untexted:
        raise Fail(
            f"structuredContent without a text block from: {', '.join(untexted)}",
            level="SHOULD",
            clause="For backwards compatibility, a tool that returns structured content SHOULD also "
            "return the serialized JSON in a TextContent block.",
        )
    return f"called {', '.join(called)}" + (f"; skipped {', '.join(skipped)}" if skipped else "")


@check(
    "tools.unknown-tool",
    "calling an unknown tool gets -32602",
    level="INFO",
    url=f"{TOOLS}#error-handling",
    clause="Protocol errors (standard JSON-RPC errors) are described for issues like unknown tools; "
    "descriptive text, no MUST or SHOULD: an isError result is not a violation.",
)
async def _unknown_tool(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    probe = await b.connected("tools.unknown-tool")
    try:
        try:
            result = await probe.s.request(
                "tools/call", {"name": "mcpcore-check-no-such-tool", "arguments": {}}
            )
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(f"expected -32602, got {exc.code} {exc.message}") from None
            return None
        raise Fail("an unknown tool was answered with a result", result)
    finally:
        await probe.__aexit__(None, None, None)


@check(
    "tools.invalid-arguments",
    "invalid arguments are refused: isError result (2025-11-25+) or -32602 (earlier)",
    url=f"{TOOLS}#security-considerations",
    clause="Servers MUST validate all tool inputs. (Which way they refuse, isError under 2025-11-25 "
    "or -32602, is descriptive: INFO.)",
)
async def _invalid_arguments(b: Battery) -> str | None:
    tool = next((t for t in b.facts.tools if (t.get("inputSchema") or {}).get("required")), None)
    if tool is None:
        raise NotApplicable("no tool with required arguments")
    if not may_call(b, tool):
        raise NotApplicable(f"{tool.get('name')} is not read-only (use --call-tools all)")
    probe = await b.connected("tools.invalid-arguments")
    try:
        try:
            result = await probe.s.request("tools/call", {"name": tool["name"], "arguments": {}})
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(
                    f"expected an isError result or -32602, got {exc.code} {exc.message}", level="INFO"
                ) from None
            if probe.version in versions.TOOL_INPUT_ERRORS_AS_RESULTS:
                raise Fail(
                    f"under {probe.version} invalid arguments should be an isError result, not -32602",
                    level="INFO",
                    clause="Input validation errors are listed among tool execution errors (isError).",
                ) from None
            return f"-32602 under {probe.version}"
        if result.get("isError") is not True:
            raise Fail("missing required arguments were accepted", result)
    finally:
        await probe.__aexit__(None, None, None)
    return f"isError under {probe.version}"


#: Tools that change the tool list on request: the official fixture's ``test_trigger_tool_change``
#: and any tool named for it (``add_tool``, ``register-tool``, ``tools_list_changed`` ...).
_LIST_CHANGER = re.compile(
    r"trigger.*tool.*change|tools?.?list.?change|(add|register|remove|toggle).?(dynamic.?)?tools?$",
    re.IGNORECASE,
)


@check(
    "tools.list-changed",
    "a tool that changes the tool list is followed by notifications/tools/list_changed",
    level="SHOULD",
    url=f"{TOOLS}#list-changed-notification",
    clause="When the list of available tools changes, servers that declared the listChanged "
    "capability SHOULD send a notification (legacy: on the connection; 2026-07-28: on a "
    "subscriptions/listen stream that asked for toolsListChanged).",
)
async def _list_changed(b: Battery) -> str | None:
    """Applies only where the server offers a way to change its tool list from outside: a tool named
    for it, or given with ``--list-change-tool``. Without one, nothing a client can do makes the
    list change, so nothing can be judged."""
    named = b.list_change_tool
    trigger = next(
        (
            t
            for t in b.facts.tools
            if (t.get("name") == named if named else _LIST_CHANGER.search(str(t.get("name", ""))))
        ),
        None,
    )
    if trigger is None:
        if named:
            raise Fail(f"--list-change-tool {named}: the server lists no such tool", level="INFO")
        raise NotApplicable(
            "no tool changes the tool list on request (name one with --list-change-tool NAME; "
            "guessed: e.g. test_trigger_tool_change)"
        )
    if not may_call(b, trigger):
        raise NotApplicable(f"{trigger.get('name')} is not read-only (use --call-tools all)")
    name = str(trigger["name"])
    arguments = sample_arguments(trigger.get("inputSchema") or {"type": "object"})
    seen = []
    legacy_declared = (b.facts.legacy_capabilities.get("tools") or {}).get("listChanged")
    if b.facts.legacy and legacy_declared and not b.target.is_http:
        probe = await b.connected("tools.list-changed")
        try:
            await probe.s.request("tools/call", {"name": name, "arguments": arguments})
            await _await_list_changed(probe, b.target.timeout, f"{name} (legacy, {probe.version})")
        finally:
            await probe.__aexit__(None, None, None)
        seen.append("legacy")
    if b.facts.modern and (b.facts.modern_capabilities.get("tools") or {}).get("listChanged"):
        async with b.probe("tools.list-changed") as probe:
            await probe.modern()
            await probe.s.listen({"toolsListChanged": True}, timeout=b.target.timeout)
            await probe.s.request("tools/call", {"name": name, "arguments": arguments})
            await _await_list_changed(probe, b.target.timeout, f"{name} (2026-07-28, a listen stream)")
        seen.append("2026-07-28 listen stream")
    if not seen:
        http = " (over HTTP only a 2026-07-28 listen stream is checked)" if b.target.is_http else ""
        raise NotApplicable(f"tools.listChanged not declared{http}")
    return f"after {name}: " + ", ".join(seen)


async def _await_list_changed(probe: Probe, timeout: float, what: str) -> None:
    """The notification may come before or after the call's answer; absence is judged after ``timeout``."""
    while True:
        msg = await probe.next_message(timeout)
        if msg is None:
            raise Fail(f"no notifications/tools/list_changed within {timeout} s of calling {what}")
        if type(msg) is dict and msg.get("method") == "notifications/tools/list_changed":
            return
