#!/usr/bin/env python3
"""Benchmark introspection through one node and through three nodes of a local cluster.

Starts, on 127.0.0.1 only: a Redis primary with two replicas, PostgreSQL, and three Tokensmith
nodes (two in region "a" reading from replica 1, one in region "b" reading from replica 2), all
sharing token state and configuration. Issues ``--tokens`` tokens, then runs wrk against the
introspection endpoint: first through node 1 alone, then through all three nodes at once (one wrk
per node, the connections split between them). Every run is bounded by ``--duration``; everything
is stopped by process id afterwards.

    .venv/bin/python bench/cluster.py --duration 10

See bench/README.md ("Cluster").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(REPO))

from tests.services import remove_postgres, start_postgres, start_redis, wait_replicas  # noqa: E402

from admin import CLIENT_AUTHORIZATION, INTROSPECT_PATH, check_introspection, configure, issue_tokens  # noqa: E402
from tsserver import ServerProcess, cpu_seconds, machine_busy_seconds  # noqa: E402
from wrkrun import INSTALL_HINT, WrkResult, find_wrk, run_wrk, wrk_version  # noqa: E402

FORM_HEADERS = {"Authorization": CLIENT_AUTHORIZATION, "Content-Type": "application/x-www-form-urlencoded"}
DEFAULT_JSON = BENCH_DIR / "results" / "cluster.json"


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


class ClusterNode(ServerProcess):
    """A ``tokensmith serve`` node with cluster options."""

    def __init__(self, *args: Any, name: str, extra: list[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.name = name
        self.extra = extra

    def argv(self) -> list[str]:
        return [*super().argv(), "--node-id", self.name, *self.extra]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each scenario (default 2)")
    p.add_argument("--connections", type=int, default=30, help="wrk connections in all (default 30; split "
                   "evenly over the nodes in the three-node run)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads per wrk process (default 1)")
    p.add_argument("--workers", type=int, default=1, help="worker processes per node (default 1)")
    p.add_argument("--tokens", type=int, default=1000, help="tokens to introspect (default 1000)")
    p.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file (default bench/results/cluster.json)")
    args = p.parse_args(argv)
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        p.error("--duration must be 1..600 and --warmup 0..60 seconds")
    if args.connections < 3 or args.threads < 1 or args.workers < 1 or args.tokens < 1:
        p.error("--connections must be at least 3; --threads, --workers and --tokens at least 1")
    return args


def wrk_on(wrk: str, nodes: list[ClusterNode], tokens_file: Path, seconds: float, connections: int,
           threads: int) -> list[WrkResult]:
    """One wrk per node, all at once; each gets an equal share of the connections."""
    share = max(1, connections // len(nodes))
    results: list[WrkResult | BaseException | None] = [None] * len(nodes)

    def one(i: int) -> None:
        try:
            results[i] = run_wrk(wrk, nodes[i].url + INTROSPECT_PATH, "introspect.lua", [str(tokens_file)],
                                 duration=seconds, connections=share, threads=min(threads, share),
                                 headers=FORM_HEADERS)
        except BaseException as exc:  # reported below
            results[i] = exc

    runners = [threading.Thread(target=one, args=(i,)) for i in range(len(nodes))]
    for t in runners:
        t.start()
    for t in runners:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return [r for r in results if isinstance(r, WrkResult)]


def summarise(name: str, results: list[WrkResult], server_cpu: float, machine_cpu: float) -> dict[str, Any]:
    duration = max(r.duration_s for r in results)
    requests = sum(r.requests for r in results)
    weights = [r.requests / requests if requests else 0 for r in results]
    return {
        "scenario": name,
        "nodes": len(results),
        "requests": requests,
        "requests_per_s": round(sum(r.rate for r in results), 1),
        # per-node percentiles; combined: request-weighted p50, worst node's p90/p99
        "latency_ms": {
            "p50": round(sum(w * r.latency_us["p50"] for w, r in zip(weights, results, strict=True)) / 1000, 3),
            "p90": round(max(r.latency_us["p90"] for r in results) / 1000, 3),
            "p99": round(max(r.latency_us["p99"] for r in results) / 1000, 3),
        },
        "non_2xx": sum(r.non_2xx for r in results),
        "socket_errors": sum(r.socket_errors for r in results),
        "server_cpu_cores": round(server_cpu / duration, 2),
        "machine_busy_cores": round(machine_cpu / duration, 2),
        "per_node": [r.as_dict() for r in results],
    }


def run(args: argparse.Namespace, wrk: str) -> int:
    work = Path(tempfile.mkdtemp(prefix="tokensmith-bench-cluster-"))
    redis = []
    postgres = None
    nodes: list[ClusterNode] = []
    outcome: dict[str, Any] = {"parameters": {k: str(v) for k, v in vars(args).items()},
                               "machine": {"cpu_count": os.cpu_count(), "wrk": wrk_version(wrk),
                                           "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
                               "scenarios": []}
    try:
        primary = start_redis(work, "redis-primary")
        redis = [primary, *(start_redis(work, f"redis-replica{i}", replica_of=primary) for i in (1, 2))]
        wait_replicas(primary, 2)
        postgres = start_postgres()
        password = secrets.token_urlsafe(18)
        layout = (("n1", "a", redis[1]), ("n2", "a", redis[1]), ("n3", "b", redis[2]))
        for name, region, replica in layout:
            data_dir = work / name
            if nodes:
                data_dir.mkdir(mode=0o700)
                shutil.copy(nodes[0].data_dir / "master.key", data_dir / "master.key")
            node = ClusterNode(Path(sys.executable).parent / "tokensmith", data_dir, args.workers, password,
                               work / f"{name}.log", name=name,
                               extra=["--region", region, "--redis-url", primary.url.replace("/0", "/0?replicas=2"),
                                      "--redis-replica-url", replica.url, "--database-url", postgres.url])
            node.start()
            node.wait_ready()
            nodes.append(node)
            log(f"{name} (region {region}) ready at {node.url}")
        configure(nodes[0].admin_url, "administrator", password, fresh=True)
        log(f"issuing {args.tokens} tokens through n1")
        tokens = issue_tokens(nodes[0].url, args.tokens)
        tokens_file = work / "tokens.txt"
        tokens_file.write_text("".join(t + "\n" for t in tokens))
        rng = random.Random(1234)
        problems: list[str] = []
        for node in nodes:  # every node sees every token (and the configuration) before measuring
            check = check_introspection(node.url, tokens, 50, rng)
            if not check.ok:
                problems.append(f"{node.name} before: {check.problems[:3]}")
        for name, targets in (("introspect via 1 node", nodes[:1]), ("introspect via 3 nodes", nodes)):
            if args.warmup:
                wrk_on(wrk, targets, tokens_file, args.warmup, args.connections, args.threads)
            pids = [pid for n in nodes for pid in n.server_pids]
            before_cpu, before_busy = cpu_seconds(pids), machine_busy_seconds()
            log(f"{name}: {args.duration:g}s, {args.connections} connections")
            results = wrk_on(wrk, targets, tokens_file, args.duration, args.connections, args.threads)
            outcome["scenarios"].append(summarise(name, results, cpu_seconds(pids) - before_cpu,
                                                  machine_busy_seconds() - before_busy))
        for node in nodes:
            check = check_introspection(node.url, tokens, 50, rng)
            if not check.ok:
                problems.append(f"{node.name} after: {check.problems[:3]}")
        outcome["problems"] = problems
    finally:
        for node in reversed(nodes):
            node.stop()
        for server in reversed(redis):
            server.stop()
        if postgres is not None:
            remove_postgres(postgres)
        shutil.rmtree(work, ignore_errors=True)

    header = f"{'scenario':<24} {'requests':>9} {'req/s':>9} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} " \
             f"{'non-2xx':>7} {'errors':>6} {'server cores':>12}"
    print(header)
    print("-" * len(header))
    for s in outcome["scenarios"]:
        lat = s["latency_ms"]
        print(f"{s['scenario']:<24} {s['requests']:>9} {s['requests_per_s']:>9.1f} {lat['p50']:>7.2f} "
              f"{lat['p90']:>7.2f} {lat['p99']:>7.2f} {s['non_2xx']:>7} {s['socket_errors']:>6} "
              f"{s['server_cpu_cores']:>12.2f}")
        for node, r in zip(("n1", "n2", "n3"), s["per_node"], strict=False):
            print(f"  {node}: {r['requests_per_s']:.1f} req/s, p50 {r['latency_ms']['p50']:.2f} ms, "
                  f"p99 {r['latency_ms']['p99']:.2f} ms")
    print(f"machine: {os.cpu_count()} CPUs shared by wrk, Redis (3), PostgreSQL and the nodes; "
          "the three-node figure measures spreading, not added capacity, on a machine this small")
    for problem in outcome["problems"]:
        print(f"PROBLEM: {problem}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(outcome, indent=2))
    print(f"results: {args.json}")
    bad = outcome["problems"] or any(s["non_2xx"] or s["socket_errors"] for s in outcome["scenarios"])
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = find_wrk()
    if wrk is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 3
    return run(args, wrk)


if __name__ == "__main__":
    sys.exit(main())
