"""The client the official conformance suite drives: ``python -m mcpcore.examples.conformance_client URL``.

The suite (``npx @modelcontextprotocol/conformance client --command ...``)
starts a mock server per scenario and runs this program with the server's URL
as the last argument and the scenario name in ``MCP_CONFORMANCE_SCENARIO``
(see ../shared/conformance/FIXTURE.md §9). Each scenario is an ordinary use of
:class:`mcpcore.Client` over Streamable HTTP; the exit status is 0 when the
scenario's steps all worked.

Every run is an OAuth 2.1 client too (:class:`mcpcore.client.OAuth`): the
``auth/*`` scenarios answer with 401 and an authorization server whose
authorization endpoint redirects at once, so :func:`follow_redirects` is the
user agent; pre-registered credentials come from ``MCP_CONFORMANCE_CONTEXT``,
and the suite's Client ID Metadata Document URL is this client's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from mcpcore import versions
from mcpcore.client import Client, ClientCredentials, IdJagGrant, JwtBearerGrant, OAuth, follow_redirects
from mcpcore.client.auth_grants import AssertionGrant
from mcpcore.client.session import Mode

_log = logging.getLogger("mcpcore.conformance_client")

#: The client metadata document URL the suite's ``auth/basic-cimd`` scenario expects as the client id.
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"


def elicitation_defaults(params: dict[str, Any]) -> dict[str, Any]:
    """Accept a form elicitation, filling every field the user left empty with its schema default."""
    schema = params.get("requestedSchema") or {}
    content: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if type(prop) is dict and "default" in prop:
            content[name] = prop["default"]
    return {"action": "accept", "content": content}


async def scenario_initialize(client: Client) -> None:
    await client.list_tools()


async def scenario_tools_call(client: Client) -> None:
    tools = {tool["name"] for tool in await client.list_tools()}
    name = "add_numbers" if "add_numbers" in tools else sorted(tools)[0]
    result = await client.call_tool(name, {"a": 5, "b": 3})
    if result.get("isError"):
        raise RuntimeError(f"{name} failed: {result}")


def call_first(*names: str) -> Callable[[Client], Awaitable[None]]:
    """A scenario that calls the first listed tool the server offers, with no arguments."""

    async def run(client: Client) -> None:
        tools = {tool["name"] for tool in await client.list_tools()}
        name = next((n for n in names if n in tools), None)
        if name is None:
            raise RuntimeError(f"the server offers none of {names}; it has {sorted(tools)}")
        await client.call_tool(name, {})

    return run


async def scenario_auth(client: Client) -> None:
    """List the tools, then call the first one (``tools/call`` may need more scopes: step-up)."""
    tools = [tool["name"] for tool in await client.list_tools()]
    if tools:
        name = "test-tool" if "test-tool" in tools else tools[0]
        await client.call_tool(name, {})


async def scenario_skills_list(client: Client) -> None:
    """List the skills and stop: a host reads no skill file before it loads the skill (no prefetch)."""
    await client.list_skills()


async def scenario_skills_load(client: Client) -> None:
    """Load each listed skill, then read its supporting files, every read verified against the entry.

    A tampered SKILL.md (digest, size or frontmatter) raises
    SkillVerificationError at the load, so no supporting file is read after it.
    """
    for entry in await client.list_skills():
        await client.load_skill(entry)
        for item in entry.files or ():
            if item.uri != entry.uri:
                await client.read_skill_file(entry, item.uri)


def oauth_from_context(context: str | None) -> OAuth:
    """The OAuth client for a run: pre-registered when the suite's context carries credentials."""
    fields: dict[str, Any] = json.loads(context) if context else {}
    fields = fields if type(fields) is dict else {}
    client = None
    if type(fields.get("client_id")) is str:
        secret, key = fields.get("client_secret"), fields.get("private_key_pem")
        client = ClientCredentials(
            fields["client_id"],
            secret if type(secret) is str else None,
            private_key=key if type(key) is str else None,
            signing_algorithm=str(fields.get("signing_algorithm") or "ES256"),
        )
    grant: AssertionGrant | None = None
    if type(fields.get("valid_jwt")) is str:  # workload identity federation: the workload's own JWT
        grant = JwtBearerGrant(fields["valid_jwt"])
    elif type(fields.get("idp_id_token")) is str and type(fields.get("idp_token_endpoint")) is str:
        grant = IdJagGrant(  # enterprise-managed authorization: the user's ID token, exchanged for an ID-JAG
            fields["idp_token_endpoint"], fields["idp_id_token"], idp_client_id=fields.get("idp_client_id")
        )
    return OAuth(
        follow_redirects,
        client=client,
        client_metadata_url=CLIENT_METADATA_URL,
        client_name="mcpcore-conformance-client",
        grant=grant,
    )


def suite_context() -> dict[str, Any]:
    """The scenario's ``MCP_CONFORMANCE_CONTEXT`` (tool calls to make, pre-registered credentials, ...)."""
    text = os.environ.get("MCP_CONFORMANCE_CONTEXT")
    fields = json.loads(text) if text else {}
    return fields if type(fields) is dict else {}


async def scenario_context_tool_calls(client: Client) -> None:
    """List the tools (the client learns their ``x-mcp-header`` arguments), then make the context's calls."""
    listed = {tool["name"] for tool in await client.list_tools()}
    for call in suite_context().get("toolCalls") or []:
        if call.get("name") in listed:
            await client.call_tool(call["name"], call.get("arguments") or {})


async def scenario_tour(client: Client) -> None:
    """One request of every kind the server offers: each tool called, each resource read, each prompt got."""
    for tool in await client.list_tools():  # tools with invalid x-mcp-header annotations are already left out
        await client.call_tool(tool["name"], {})
    capabilities = client.server_capabilities
    if "resources" in capabilities:
        for resource in await client.list_resources():
            await client.read_resource(resource["uri"])
    if "prompts" in capabilities:
        for prompt in await client.list_prompts():
            await client.get_prompt(prompt["name"])


async def scenario_request_state(client: Client) -> None:
    """SEP-2322: two MRTR flows and an unrelated call at once (each keeps its own state), then the rest."""
    tools = {tool["name"] for tool in await client.list_tools()}
    first = [name for name in ("test_mrtr_echo_state", "test_mrtr_unrelated") if name in tools]
    await asyncio.gather(*(client.call_tool(name, {}) for name in first))
    for name in ("test_mrtr_no_state", "test_mrtr_no_result_type"):
        if name in tools:
            await client.call_tool(name, {})


async def scenario_schema_echo(client: Client) -> None:
    """Send the focal tool's ``inputSchema`` back as received (2020-12 keywords must survive the client)."""
    tools = {tool["name"]: tool for tool in await client.list_tools()}
    focal = tools["json_schema_2020_12_tool"]
    await client.call_tool("json_schema_echo", {"schema": focal["inputSchema"]})


def sampling(params: dict[str, Any]) -> dict[str, Any]:
    """A canned model answer: the fixture declares sampling so the suite can check the capability's shape."""
    return {
        "role": "assistant",
        "content": {"type": "text", "text": "ok"},
        "model": "mcpcore-conformance",
        "stopReason": "endTurn",
    }


SCENARIOS: dict[str, Callable[[Client], Awaitable[None]]] = {
    "request-metadata": scenario_tour,
    "sep-2322-client-request-state": scenario_request_state,
    "http-standard-headers": scenario_tour,
    "http-custom-headers": scenario_context_tool_calls,
    "http-invalid-tool-headers": scenario_tour,
    "json-schema-2020-12-preservation": scenario_schema_echo,
    "initialize": scenario_initialize,
    "tools_call": scenario_tools_call,
    "elicitation-sep1034-client-defaults": call_first(
        "test_client_elicitation_defaults", "test_elicitation_sep1034_defaults"
    ),
    "sse-retry": call_first("test_reconnection"),
    "sep-2640-client-no-prefetch": scenario_skills_list,
    "sep-2640-client-verify-digest": scenario_skills_load,
    "sep-2640-client-verify-size": scenario_skills_load,
    "sep-2640-client-verify-frontmatter": scenario_skills_load,
}


def mode_for(protocol_version: str | None) -> Mode:
    """The era the suite's mock speaks: ``MCP_CONFORMANCE_PROTOCOL_VERSION`` (2025-11-25 when unset)."""
    if protocol_version is not None and protocol_version not in versions.LEGACY_VERSIONS:
        return "modern"
    return "legacy"


async def main(url: str, scenario: str) -> int:
    run = SCENARIOS.get(scenario, scenario_auth if scenario.startswith("auth/") else scenario_initialize)
    client = Client.http(
        url,
        auth=oauth_from_context(os.environ.get("MCP_CONFORMANCE_CONTEXT")),
        mode=mode_for(os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION")),
        name="mcpcore-conformance-client",
        version="0.1.0",
        elicitation=elicitation_defaults,
        sampling=sampling,
        roots=[],
        timeout=20.0,
    )
    async with client:
        await run(client)
    return 0


if __name__ == "__main__":
    from mcpcore.loop import run as run_loop

    logging.basicConfig(level=os.environ.get("MCPCORE_LOG", "WARNING"), stream=sys.stderr)
    if len(sys.argv) < 2:
        print("usage: python -m mcpcore.examples.conformance_client URL", file=sys.stderr)
        sys.exit(2)
    name = os.environ.get("MCP_CONFORMANCE_SCENARIO", "initialize")
    try:
        sys.exit(run_loop(main(sys.argv[-1], name)))
    except Exception as exc:  # the suite reads the exit status; say why on stderr
        print(f"conformance client: {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
