"""Lifecycle and envelope rules, without any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore import versions
from mcpcore.errors import INVALID_PARAMS, INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION, RpcError
from mcpcore.inbound import SERVER
from mcpcore.session import (
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    LegacySession,
    Phase,
    is_modern_request,
    negotiate_version,
    read_modern_envelope,
)


@pytest.mark.parametrize("version", versions.LEGACY_VERSIONS)
def test_supported_legacy_versions_are_echoed(version: str) -> None:
    assert negotiate_version(version) == version


@pytest.mark.parametrize("requested", ["2099-01-01", "2024-10-07", "", 20241105, None, versions.V2026_07_28])
def test_anything_else_is_offered_the_latest_legacy_version(requested: object) -> None:
    assert negotiate_version(requested) == versions.LATEST_LEGACY


def init_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "protocolVersion": versions.V2025_06_18,
        "capabilities": {"sampling": {}},
        "clientInfo": {"name": "t", "version": "1"},
    }
    params.update(overrides)
    return params


def test_initialize_fixes_version_and_client_capabilities() -> None:
    session = LegacySession()
    assert session.phase is Phase.NEW
    envelope = session.initialize(init_params())
    assert (envelope.protocol_version, envelope.client_capabilities, envelope.modern) == (
        versions.V2025_06_18,
        {"sampling": {}},
        False,
    )
    assert session.phase is Phase.INITIALIZED
    session.initialized()
    assert session.phase is Phase.READY


def test_second_initialize_is_refused() -> None:
    session = LegacySession()
    session.initialize(init_params())
    with pytest.raises(RpcError) as caught:
        session.initialize(init_params())
    assert caught.value.code == INVALID_REQUEST


@pytest.mark.parametrize(
    "params",
    [{"capabilities": {}}, init_params(capabilities=[]), init_params(clientInfo="me")],
    ids=["no-version", "capabilities-array", "clientinfo-string"],
)
def test_malformed_initialize_params_are_refused_by_the_contract(params: dict[str, Any]) -> None:
    """The router reads initialize through the inbound contract before the session sees it."""
    assert SERVER.request_problem("initialize", params) is not None
    assert SERVER.request_problem("initialize", init_params()) is None


def test_batches_only_under_2025_03_26() -> None:
    for version in versions.LEGACY_VERSIONS:
        session = LegacySession()
        assert not session.batches_allowed
        session.initialize(init_params(protocolVersion=version))
        assert session.batches_allowed == (version == versions.V2025_03_26)


def modern_meta(**overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {META_PROTOCOL_VERSION: versions.V2026_07_28, META_CLIENT_CAPABILITIES: {}}
    meta.update(overrides)
    return {"_meta": meta}


def test_modern_envelope_is_read_from_meta() -> None:
    params = modern_meta(**{META_CLIENT_INFO: {"name": "c", "version": "2"}, META_LOG_LEVEL: "info"})
    assert is_modern_request(params)
    envelope = read_modern_envelope(params)
    assert envelope.modern
    assert envelope.protocol_version == versions.V2026_07_28
    assert envelope.client_info == {"name": "c", "version": "2"}
    assert envelope.log_level == "info"


@pytest.mark.parametrize(
    "params",
    [
        None,
        {},
        {"_meta": {}},
        {"_meta": {META_PROTOCOL_VERSION: versions.V2026_07_28}},
        modern_meta(**{META_CLIENT_CAPABILITIES: []}),
        modern_meta(**{META_CLIENT_INFO: "x"}),
        modern_meta(**{META_LOG_LEVEL: "loud"}),
        {"_meta": {META_PROTOCOL_VERSION: 5, META_CLIENT_CAPABILITIES: {}}},
    ],
    ids=[
        "none",
        "empty",
        "empty-meta",
        "no-capabilities",
        "caps-array",
        "info-string",
        "bad-level",
        "version-int",
    ],
)
def test_broken_modern_envelopes_are_invalid_params(params: dict[str, Any] | None) -> None:
    with pytest.raises(RpcError) as caught:
        read_modern_envelope(params)
    assert caught.value.code == INVALID_PARAMS


@pytest.mark.parametrize("version", ["2099-01-01", versions.V2025_11_25])
def test_unsupported_modern_version_lists_what_is_supported(version: str) -> None:
    with pytest.raises(RpcError) as caught:
        read_modern_envelope(modern_meta(**{META_PROTOCOL_VERSION: version}))
    assert caught.value.code == UNSUPPORTED_PROTOCOL_VERSION
    assert caught.value.data == {"supported": list(versions.SUPPORTED_VERSIONS), "requested": version}


def test_requests_without_a_meta_version_are_legacy() -> None:
    assert not is_modern_request(None)
    assert not is_modern_request({"name": "x"})
    assert not is_modern_request({"_meta": {"progressToken": 1}})
    assert not is_modern_request({"_meta": "x"})
