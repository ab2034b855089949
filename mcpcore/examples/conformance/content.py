"""The fixture's resources (FIXTURE.md §5), skills (SEP-2640) and prompts (FIXTURE.md §6).

Skills come between resources and prompts, where they always were, so
``resources/list`` shows the skills' files after the fixture's own resources.
"""

from __future__ import annotations

from typing import Any

from mcpcore import Context, embedded_resource, image
from mcpcore.examples.conformance.base import (
    CLIENT_FAILURES,
    PNG,
    PNG_BYTES,
    dump,
    field,
    form,
    legacy_failure,
    server,
)
from mcpcore.examples.conformance_skills import add_skills

# ================================================================== resources (FIXTURE.md §5)


@server.resource(
    "test://static-text",
    name="static-text",
    description="A static text resource for testing",
    mime_type="text/plain",
    run="loop",
)
def static_text() -> str:
    return "This is the content of the static text resource."


@server.resource(
    "test://static-binary",
    name="static-binary",
    description="A static binary resource (image) for testing",
    mime_type="image/png",
    run="loop",
)
def static_binary() -> bytes:
    return PNG_BYTES


@server.resource(
    "test://watched-resource",
    name="watched-resource",
    description="A resource that can be subscribed to for updates",
    mime_type="text/plain",
    run="loop",
)
def watched_resource() -> str:
    return "Watched resource content"


def _complete_id(value: str) -> list[str]:
    return [candidate for candidate in ("123", "456", "789") if candidate.startswith(value)]


@server.resource(
    "test://template/{id}/data",
    name="template",
    description="A resource template with parameter substitution",
    mime_type="application/json",
    run="loop",
    completions={"id": _complete_id},
)
def template_data(id: str) -> str:
    return dump({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


add_skills(server)  # the Skills extension (SEP-2640): conformance_skills.py


# ===================================================================== prompts (FIXTURE.md §6)


@server.prompt("test_simple_prompt", description="A simple prompt without arguments", run="loop")
def simple_prompt() -> str:
    return "This is a simple prompt for testing."


def _complete_arg(value: str) -> list[str]:
    candidates = ["test", "testValue1", "testValue2", "testing", "value"]
    return [candidate for candidate in candidates if candidate.startswith(value)]


@server.prompt(
    "test_prompt_with_arguments",
    description="A prompt with required arguments",
    run="loop",
    completions={"arg1": _complete_arg, "arg2": _complete_arg},
)
def prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with required arguments.

    Args:
        arg1: First test argument
        arg2: Second test argument
    """
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@server.prompt(
    "test_prompt_with_embedded_resource",
    description="A prompt that includes an embedded resource",
    run="loop",
)
def prompt_with_embedded_resource(resourceUri: str) -> list[Any]:
    """A prompt that includes an embedded resource.

    Args:
        resourceUri: URI of the resource to embed
    """
    return [
        embedded_resource(resourceUri, text="Embedded resource content for testing.", mime_type="text/plain"),
        "Please process the embedded resource above.",
    ]


@server.prompt("test_prompt_with_image", description="A prompt that includes an image", run="loop")
def prompt_with_image() -> list[Any]:
    return [image(PNG, "image/png"), "Please analyze the image above."]


@server.prompt(
    "test_input_required_result_prompt", description="MRTR: prompt that requires elicitation input"
)
async def mrtr_prompt(ctx: Context) -> str:
    try:
        answer = await ctx.elicit(*form("What context should the prompt use?", "context"), key="user_context")
    except CLIENT_FAILURES as exc:
        return legacy_failure(ctx, exc)
    return f"Prompt with context: {field(answer, 'context')}"
