"""Pluggable state stores: where the state that must outlive one process lives.

A single process keeps everything in memory (the default, and the fastest).
Several replicas behind a load balancer share it through a store: Redis ships
with ``pip install mcpcore[redis]``, and users can plug in another engine by
implementing the same small protocols.

Layout (one contract per file, implementations beside them):

* a contract module per concern states the protocol and its invariants;
* :mod:`mcpcore.stores.memory`: the in-memory implementations (today's behaviour);
* :mod:`mcpcore.stores.redis`: the Redis implementations, and the one place
  that imports ``redis`` (only when a Redis store is configured).
"""

from __future__ import annotations
