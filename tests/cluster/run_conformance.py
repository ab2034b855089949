"""The official conformance suite through a real haproxy in front of replicas (make conformance-cluster).

The same runs as ``make conformance`` (tests/conformance/run.py), judged the
same way, but the suite's URL is the balancer's: plain round-robin, no sticky
sessions, every replica sharing one ``requestState`` key and, with
``--redis``, one Redis (a real ``redis-server`` is started on loopback).
"""

from __future__ import annotations

import argparse
import sys

from tests.cluster.harness import Cluster
from tests.conformance.run import RUNS, install, run_suite, summary_table, write_doc_section
from tests.redis_server import start_redis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--redis", action="store_true", help="start a redis-server and share it")
    parser.add_argument("--run", action="append", default=None, help="only the runs whose label has this")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per suite run")
    parser.add_argument(
        "--write-doc", action="store_true", help="rewrite the cluster summary in docs/conformance.md"
    )
    args = parser.parse_args(argv)
    install()
    redis = start_redis() if args.redis else None
    runs = [run for run in RUNS if args.run is None or any(part in run[0] for part in args.run)]
    try:
        with Cluster(args.replicas, redis_url=redis.url() if redis else None) as cluster:
            print(
                f"conformance-cluster: {args.replicas} replicas behind haproxy at {cluster.url}", flush=True
            )
            results = [
                run_suite(label, version, extra, expected, url=cluster.url, timeout=args.timeout)
                for label, version, extra, expected in runs
            ]
    finally:
        if redis is not None:
            redis.stop()
    ok = all(result.ok for result in results)
    if args.write_doc:
        store = "sharing one Redis" if args.redis else "with no shared store"
        intro = f"{args.replicas} replicas behind haproxy (plain round-robin, no stickiness), {store}:\n\n"
        write_doc_section("cluster-scores", intro + summary_table(results))
    print("\nconformance-cluster:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
