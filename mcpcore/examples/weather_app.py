"""An MCP App (``io.modelcontextprotocol/ui``): a tool whose results a host renders in an HTML view.

``python -m mcpcore.examples.weather_app`` serves stdio (``--http [--port N]``
for Streamable HTTP). ``get_weather`` links to ``ui://weather/dashboard``
through ``_meta.ui.resourceUri``; a host that declared MCP Apps reads that
view and renders the tool's ``structuredContent`` in it, and every host gets
the text content as the fallback. ``refresh_weather`` is for the view only
(``visibility: ["app"]``): hosts hide it from the model.
"""

from __future__ import annotations

import sys

from mcpcore import Context, Server, client_supports_apps

server = Server("weather-app", "1.0.0")

DASHBOARD = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Weather</title></head>
<body><h1 id="place">…</h1><p id="now">…</p>
<script>
window.addEventListener("message", (event) => {
  const message = event.data;
  if (message?.method === "ui/notifications/tool-result") {
    const weather = message.params.structuredContent;
    document.getElementById("place").textContent = weather.location;
    document.getElementById("now").textContent = `${weather.temperature} °C, ${weather.conditions}`;
  }
});
</script></body></html>
"""


@server.ui_resource(
    "ui://weather/dashboard",
    name="weather-dashboard",
    description="Current weather for one place",
    csp={"connectDomains": ["https://api.open-meteo.com"]},
    prefers_border=True,
    run="loop",
)
def dashboard() -> str:
    return DASHBOARD


def _weather(location: str) -> dict[str, object]:
    return {"location": location, "temperature": 21, "conditions": "sunny"}


@server.tool(ui="ui://weather/dashboard", run="loop")
def get_weather(location: str, ctx: Context) -> dict[str, object]:
    """Current weather for a place (rendered in the dashboard view by hosts that support MCP Apps)."""
    weather = _weather(location)
    if not client_supports_apps(ctx.client_capabilities):
        weather["note"] = "text-only host"
    return weather


@server.tool(ui="ui://weather/dashboard", ui_visibility=["app"], run="loop")
def refresh_weather(location: str) -> dict[str, object]:
    """Fetch fresh data for the dashboard (called by the view, hidden from the model)."""
    return _weather(location)


if __name__ == "__main__":
    if "--http" in sys.argv:
        port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 8000
        server.run("http", port=port)
    else:
        server.run()
