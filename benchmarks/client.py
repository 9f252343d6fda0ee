"""The kfwizard side of the cluster benchmarks, run as a child process.

Why a separate process: the emulator answering the requests is Python as well. With
kfwizard's applier in the emulator's process the two would share one GIL, while kubectl,
the peer, runs in a process of its own. So kfwizard gets a process of its own too, and
both clients meet the same server under the same conditions.

Commands (each prints one JSON line on stdout at the end):

- ``apply --source TIERS.json [--one-group]``: connect (``KubeClients`` from the
  kubeconfig context, as the product does for a kubeconfig source) and apply the tiers
  with ``apply_tiers`` (the install step's path), or every object as one group with
  ``apply_objects``. The clock starts before connecting and stops when the applier
  returns: imports and JSON loading are outside it (the product has done both long
  before its apply step runs), discovery and every request are inside.
- ``wait --refs REFS.json``: connect, print ``ready``, read one line from stdin (the
  parent resets the emulator's counters in between), then ``wait_workloads`` for the
  workloads and report ``time.time()`` at its return, to compare with the emulator's
  ``available_at`` stamps.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def warm_imports() -> None:
    """Import what the clock must not see: by the time the install step applies, the
    connect and preflight steps have imported the Kubernetes client, its kubeconfig
    loader and the dynamic client (about 0.9 s on this machine, a third in
    ``kubernetes.config``)."""
    import kubernetes.client
    import kubernetes.config
    import kubernetes.dynamic
    import kubernetes.watch  # noqa: F401

    import kfwizard.gcp.kube_access
    import kfwizard.kube.apply
    import kfwizard.kube.wait  # noqa: F401


def _clients(args: argparse.Namespace) -> Any:
    from kfwizard.gcp.kube_access import api_client_for_context
    from kfwizard.kube.client import KubeClients

    return KubeClients(api_client_for_context(args.kubeconfig, args.context))


def cmd_apply(args: argparse.Namespace) -> dict[str, Any]:
    from kfwizard.kube.apply import ApplyOptions, TierSpec, apply_objects, apply_tiers

    raw = json.loads(Path(args.source).read_text(encoding="utf-8"))
    tiers = [
        TierSpec(
            name=t["name"],
            objects=t["objects"],
            wait_crds=t["wait_crds"],
            wait_ready=t["wait_ready"],
            webhook_services=[tuple(s) for s in t["webhook_services"]],
        )
        for t in raw
    ]
    total = sum(len(t.objects) for t in tiers)
    marks: list[float] = []
    options = ApplyOptions(workers=args.workers)
    started = time.perf_counter()
    cpu_started = time.process_time()

    def applied(obj: dict[str, Any], server: dict[str, Any]) -> None:
        marks.append(time.perf_counter() - started)

    clients = _clients(args)
    per_tier: list[tuple[str, int, float]] = []
    if args.one_group:
        objects = [o for t in tiers for o in t.objects]
        apply_objects(clients, objects, options=options, on_applied=applied)
    else:
        done = apply_tiers(clients, tiers, options=options, on_applied=applied)
        per_tier = [(t.name, len(t.refs), t.seconds) for t in done.tiers]
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    clients.close()
    if len(marks) != total:
        raise SystemExit(f"applied {len(marks)} of {total} objects")
    return {"seconds": seconds, "cpu": cpu, "applied": total, "marks": marks, "tiers": per_tier}


def cmd_wait(args: argparse.Namespace) -> dict[str, Any]:
    from kfwizard.kube.wait import wait_workloads

    refs = json.loads(Path(args.refs).read_text(encoding="utf-8"))
    clients = _clients(args)
    clients.resource("apps/v1", "Deployment")  # discovery before the counters are reset
    clients.resource("v1", "Pod")
    print("ready", flush=True)
    sys.stdin.readline()
    started_at = time.time()
    result = wait_workloads(clients, refs, timeout=args.timeout)
    returned_at = time.time()
    clients.close()
    return {
        "started_at": started_at,
        "returned_at": returned_at,
        "ok": result.ok,
        "ready": sum(1 for s in result.statuses if s.state == "ready"),
        "lists": result.lists,
        "watches": result.watches,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("apply", "wait"):
        one = sub.add_parser(name)
        one.add_argument("--kubeconfig", required=True)
        one.add_argument("--context", required=True)
        if name == "apply":
            one.add_argument("--source", required=True)
            one.add_argument("--one-group", action="store_true")
            one.add_argument("--workers", type=int, default=8)
        else:
            one.add_argument("--refs", required=True)
            one.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    warm_imports()
    answer = cmd_apply(args) if args.command == "apply" else cmd_wait(args)
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
