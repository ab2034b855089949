"""Middleware: code that wraps requests, in one place, for every method or a chosen few.

A middleware is ``async def mw(ctx, call_next)``. It may look at the request
(``ctx.method``, ``ctx.params``, ``ctx.access_token``...), replace
``ctx.params`` before calling ``await call_next(ctx)``, change the result it
gets back, or answer without calling on (return a result, or raise
:class:`~mcpcore.errors.RpcError`). The first one registered is the
outermost.

Chains are built once, when a middleware or a method is registered
(:func:`wrap`), never per request, and a method no middleware applies to
keeps its bare handler: a server without middleware dispatches exactly as
before, inline answers included.

Built-ins: :func:`log_requests` (method, outcome and duration to a logger),
:class:`RateLimit` (a token bucket per principal, else per connection), and
:func:`otel_spans` (one OpenTelemetry span per request, when
``opentelemetry-api`` is installed; a pass-through otherwise).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final

from mcpcore.errors import RpcError

if TYPE_CHECKING:
    from mcpcore.context import Context

__all__ = [
    "RATE_LIMITED",
    "CallNext",
    "Middleware",
    "RateLimit",
    "Registered",
    "log_requests",
    "otel_spans",
    "wrap",
]

#: Implementation-defined error code (JSON-RPC's server range, far from the codes MCP defines).
RATE_LIMITED: Final = -32090

CallNext = Callable[["Context"], Awaitable[Any]]
Middleware = Callable[["Context", CallNext], Awaitable[Any]]
Handler = Callable[[dict[str, Any], "Context"], Any]


@dataclass(frozen=True, slots=True)
class Registered:
    """A middleware and the methods it wraps (``None``: every request)."""

    middleware: Middleware
    methods: frozenset[str] | None = None

    def applies_to(self, method: str) -> bool:
        return self.methods is None or method in self.methods


def wrap(handler: Handler, method: str, chain: Collection[Registered]) -> Handler:
    """``handler`` behind every middleware in ``chain`` that applies to ``method`` (itself if none)."""
    applicable = [entry.middleware for entry in chain if entry.applies_to(method)]
    if not applicable:
        return handler

    async def innermost(ctx: Context) -> Any:
        outcome = handler(ctx.params, ctx)
        if type(outcome) is CoroutineType:
            outcome = await outcome
        return outcome

    call: CallNext = innermost
    for middleware in reversed(applicable):
        call = _link(middleware, call)
    first = call

    def wrapped(params: dict[str, Any], ctx: Context) -> Any:
        return first(ctx)

    return wrapped


def _link(middleware: Middleware, call_next: CallNext) -> CallNext:
    def call(ctx: Context) -> Awaitable[Any]:
        return middleware(ctx, call_next)

    return call


# ------------------------------------------------------------------ built-ins


def log_requests(logger: logging.Logger | None = None, level: int = logging.INFO) -> Middleware:
    """Log each request's method, outcome (``ok``, or the error code) and duration in milliseconds."""
    log = logger or logging.getLogger("mcpcore.requests")

    async def middleware(ctx: Context, call_next: CallNext) -> Any:
        start = time.perf_counter()
        outcome = "ok"
        try:
            return await call_next(ctx)
        except RpcError as exc:
            outcome = f"error {exc.code}"
            raise
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            if log.isEnabledFor(level):
                elapsed = (time.perf_counter() - start) * 1000.0
                log.log(level, "%s %s %.2f ms", ctx.method, outcome, elapsed)

    return middleware


class RateLimit:
    """A token bucket per caller: ``rate`` requests per second, bursts of up to ``burst``.

    The caller is the authenticated principal when the request carried a
    verified token (so one user is limited across connections and
    replicas' sessions alike), else the connection. At most ``max_keys``
    buckets are kept (least recently used go first), so a flood of
    identities cannot grow memory. Past the limit the request is refused with
    :data:`RATE_LIMITED` and ``data.retryAfterMs``.
    """

    def __init__(self, rate: float, burst: int | None = None, *, max_keys: int = 10_000) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0 requests per second")
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, int(rate)))
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self.max_keys = max_keys
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()

    @staticmethod
    def key(ctx: Context) -> object:
        """Whom a request counts against: its principal's client id and subject, else its connection."""
        token = getattr(ctx, "access_token", None)
        if token is not None:
            return ("principal", getattr(token, "client_id", None), getattr(token, "subject", None))
        return ("connection", id(ctx.connection))

    def take(self, key: object, now: float) -> float:
        """Spend one token for ``key``; 0.0 if allowed, else seconds until one is available."""
        tokens, stamp = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

    async def __call__(self, ctx: Context, call_next: CallNext) -> Any:
        wait = self.take(self.key(ctx), time.monotonic())
        if wait > 0.0:
            raise RpcError(
                RATE_LIMITED, "Rate limit exceeded", {"retryAfterMs": max(1, round(wait * 1000.0))}
            )
        return await call_next(ctx)


def otel_spans(tracer_name: str = "mcpcore") -> Middleware:
    """One OpenTelemetry span per request (``mcp.method``, and the tool name for ``tools/call``).

    ``opentelemetry-api`` is optional: without it this is a pass-through, so
    a server can register it unconditionally.
    """
    try:
        from opentelemetry import trace
    except ImportError:
        logging.getLogger("mcpcore.middleware").debug("opentelemetry-api is not installed: no spans")

        async def passthrough(ctx: Context, call_next: CallNext) -> Any:
            return await call_next(ctx)

        return passthrough

    tracer = trace.get_tracer(tracer_name)

    async def middleware(ctx: Context, call_next: CallNext) -> Any:
        name = ctx.params.get("name") if ctx.method in ("tools/call", "prompts/get") else None
        with tracer.start_as_current_span(f"mcp {ctx.method}" + (f" {name}" if name else "")) as span:
            span.set_attribute("mcp.method", ctx.method)
            if ctx.request_id is not None:
                span.set_attribute("jsonrpc.request_id", str(ctx.request_id))
            return await call_next(ctx)

    return middleware
