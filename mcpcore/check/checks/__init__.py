"""The checks of ``mcpcore check``, one module per area; importing this package registers them all.

Each module reads as a list of checks, each with the clause it tests (see
:func:`mcpcore.check.registry.check`). The order of the imports is the order of the report.
"""

# isort: off
from mcpcore.check.checks import lifecycle as lifecycle
from mcpcore.check.checks import messages as messages
from mcpcore.check.checks import capabilities as capabilities
from mcpcore.check.checks import tools as tools
from mcpcore.check.checks import resources as resources
from mcpcore.check.checks import prompts as prompts
from mcpcore.check.checks import completion as completion
from mcpcore.check.checks import progress as progress
from mcpcore.check.checks import concurrency as concurrency
from mcpcore.check.checks import stdio as stdio
from mcpcore.check.checks import http_sessions as http_sessions
from mcpcore.check.checks import http_modern as http_modern
from mcpcore.check.checks import http_origin as http_origin
from mcpcore.check.checks import summary as summary

# isort: on
