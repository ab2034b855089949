"""Protocol versions as an enumerated set.

Versions are dated strings, but they are compared only for membership: which
version a feature exists in is a property of the version, written down here,
never worked out by string ordering.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BATCH_VERSIONS",
    "LATEST_LEGACY",
    "LATEST_MODERN",
    "LEGACY_VERSIONS",
    "MODERN_VERSIONS",
    "SUPPORTED_VERSIONS",
    "TOOL_INPUT_ERRORS_AS_RESULTS",
]

V2024_11_05: Final = "2024-11-05"
V2025_03_26: Final = "2025-03-26"
V2025_06_18: Final = "2025-06-18"
V2025_11_25: Final = "2025-11-25"
V2026_07_28: Final = "2026-07-28"

#: Versions that start with the ``initialize`` handshake, newest first.
LEGACY_VERSIONS: Final = (V2025_11_25, V2025_06_18, V2025_03_26, V2024_11_05)
#: Versions served statelessly through the per-request ``_meta`` envelope, newest first.
MODERN_VERSIONS: Final = (V2026_07_28,)
SUPPORTED_VERSIONS: Final = MODERN_VERSIONS + LEGACY_VERSIONS

LATEST_LEGACY: Final = V2025_11_25
LATEST_MODERN: Final = V2026_07_28

#: Only 2025-03-26 allows JSON-RPC batches.
BATCH_VERSIONS: Final = frozenset({V2025_03_26})
#: Versions in which a tool's argument-validation failure is an ``isError`` result, not -32602.
TOOL_INPUT_ERRORS_AS_RESULTS: Final = frozenset({V2025_11_25, V2026_07_28})
#: Versions whose results must carry ``resultType``.
RESULT_TYPE_VERSIONS: Final = frozenset(MODERN_VERSIONS)
#: Versions without ``ping`` / ``logging/setLevel`` / ``resources/(un)subscribe``.
STATELESS_VERSIONS: Final = frozenset(MODERN_VERSIONS)
