"""Prompts: what is listed renders with its required arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpcore.check.checks.common import SPEC_2025, declared, walk
from mcpcore.check.registry import Fail, NotApplicable, check
from mcpcore.errors import RequestTimeoutError, RpcError

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

#: How many listed prompts the check renders (the first ones listed).
MAX_RENDERS = 5


def _prompt_arguments(prompt: dict[str, Any]) -> dict[str, str]:
    """Values for a prompt's required arguments (prompt arguments are strings)."""
    arguments = prompt.get("arguments") or []
    return {
        a["name"]: "mcpcore-check"
        for a in arguments
        if type(a) is dict and type(a.get("name")) is str and a.get("required")
    }


@check(
    "prompts.get",
    "listed prompts render with their required arguments",
    url=f"{SPEC_2025}/server/prompts#getting-a-prompt",
    clause="prompts/get returns messages, each with a role (user or assistant) and a content object "
    "(schema). (A listed prompt that fails to render is INFO.)",
)
async def _prompts_get(b: Battery) -> str | None:
    declared(b, "prompts")
    probe = await b.connected("prompts.get")
    rendered, refused = [], []
    try:
        prompts = await walk(probe, "prompts/list", "prompts")
        listed = [p for p in prompts if type(p) is dict and type(p.get("name")) is str]
        if not listed:
            raise NotApplicable("the server lists no prompts")
        for prompt in listed[:MAX_RENDERS]:
            name, arguments = prompt["name"], _prompt_arguments(prompt)
            params: dict[str, Any] = {"name": name}
            if arguments:
                params["arguments"] = arguments
            try:
                result = await probe.s.request("prompts/get", params, timeout=b.target.timeout)
            except RpcError as exc:
                if arguments and exc.code == -32602:
                    refused.append(name)  # the sample values may not suit it: a -32602 is a fair answer
                    continue
                raise Fail(
                    f"prompts/get {name} with {arguments} failed: {exc.code} {exc.message}", level="INFO"
                ) from None
            except RequestTimeoutError:
                raise Fail(f"prompts/get {name} got no answer within {b.target.timeout} s") from None
            messages = result.get("messages")
            if type(messages) is not list:
                raise Fail(f"prompts/get {name}: messages is not an array", result)
            for message in messages:
                if (
                    type(message) is not dict
                    or message.get("role") not in ("user", "assistant")
                    or type(message.get("content")) is not dict
                ):
                    raise Fail(f"prompts/get {name}: a malformed message", result)
            rendered.append(name)
    finally:
        await probe.__aexit__(None, None, None)
    note = f"rendered {', '.join(rendered) or 'none'}"
    return note + (f"; -32602 for sample arguments: {', '.join(refused)}" if refused else "")


@check(
    "prompts.unknown",
    "getting an unknown prompt gets -32602",
    level="SHOULD",
    url=f"{SPEC_2025}/server/prompts#error-handling",
    clause="Servers SHOULD return standard JSON-RPC errors for common failure cases: invalid prompt "
    "name: -32602 (Invalid params).",
)
async def _prompts_unknown(b: Battery) -> str | None:
    declared(b, "prompts")
    probe = await b.connected("prompts.unknown")
    try:
        try:
            result = await probe.s.request("prompts/get", {"name": "mcpcore-check-no-such-prompt"})
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(f"expected -32602, got {exc.code} {exc.message}") from None
            return None
        raise Fail("an unknown prompt was rendered", result)
    finally:
        await probe.__aexit__(None, None, None)
