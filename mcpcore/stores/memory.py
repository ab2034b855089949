"""In-memory stores: the single-process default, with no I/O behind their async methods."""

from __future__ import annotations

# --- tasks ---------------------------------------------------------------------------------------

# --- events, subscription bus --------------------------------------------------------------------
