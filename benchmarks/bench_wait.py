"""Waiting: the 14 KFP Deployments, watched by kfwizard against ``kubectl rollout status``
run once per Deployment (what the KFP docs and most scripts do).

Targets, from the emulator's own counters and clocks:
- at most 1 LIST + 1 WATCH per resource kind for the whole wait (``emu.stats``);
- kfwizard's wait returns within 100 ms of the last Deployment becoming Available
  (``emu.available_at``, stamped by the emulator's controller, against ``time.time()``
  taken by the waiter right after ``wait_workloads`` returns).

The cluster runs at ``speed`` 1 (the demo's pace: the Deployments become Available
over about five seconds), 0.5 in quick mode. For each measurement a fresh cluster gets
the manifests through kfwizard's applier; the counters are reset after the apply, so
they hold the wait's requests only. kubectl's requests, time and reaction are reported
for comparison (no target).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    KFP_FILES,
    ROOT,
    Cluster,
    Figure,
    client_argv,
    client_env,
    kubectl,
    median,
    ms,
    parse_args,
    report,
    require,
    skipped,
    spread,
    wait_child,
)

NAMESPACE = "kubeflow"


def apply_in_parent(cluster: Cluster, tiers: list[Any]) -> None:
    """Set-up, not measured: the manifests, through kfwizard's applier."""
    from kfwizard.gcp.kube_access import api_client_for_context
    from kfwizard.kube.apply import apply_tiers
    from kfwizard.kube.client import KubeClients

    clients = KubeClients(api_client_for_context(str(cluster.kubeconfig), "bench"))
    try:
        apply_tiers(clients, tiers)
    finally:
        clients.close()


def last_available(cluster: Cluster, names: list[str], timeout: float = 120) -> float:
    """When the last of ``names`` became Available (the emulator's wall-clock stamp)."""
    deadline = time.monotonic() + timeout
    while True:
        stamps = [cluster.emu.available_at.get((NAMESPACE, n)) for n in names]
        if all(stamps):
            return max(s for s in stamps if s)
        if time.monotonic() > deadline:
            raise RuntimeError("the Deployments did not all become Available")
        time.sleep(0.01)


def per_kind(cluster: Cluster) -> dict[str, tuple[int, int]]:
    """resource -> (lists, watches) made since the counters were reset."""
    found: dict[str, tuple[int, int]] = {}
    for (verb, resource), n in cluster.emu.stats.items():
        if verb in ("list", "watch"):
            lists, watches = found.get(resource, (0, 0))
            found[resource] = (lists + n, watches) if verb == "list" else (lists, watches + n)
    return found


def kfwizard_wait(speed: float, tiers: list[Any], refs_file: Path, names: list[str]) -> dict:
    with Cluster(speed=speed) as cluster:
        proc = subprocess.Popen(
            client_argv("wait", cluster, "--refs", str(refs_file)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=client_env(),
            cwd=ROOT,
        )
        assert proc.stdin is not None and proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the waiter did not start")
        apply_in_parent(cluster, tiers)
        cluster.emu.stats.reset()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        code, _, _ = wait_child(proc)
        if code != 0:
            raise RuntimeError(f"the waiter failed ({code})")
        answer = json.loads(out.strip().splitlines()[-1])
        if not answer["ok"]:
            raise RuntimeError(f"the wait ended without every Deployment ready: {answer}")
        last = last_available(cluster, names)
        return {
            "reaction": answer["returned_at"] - last,
            "seconds": answer["returned_at"] - answer["started_at"],
            "requests": cluster.requests,
            "verbs": cluster.verbs(),
            "kinds": per_kind(cluster),
        }


def kubectl_wait(speed: float, tiers: list[Any], names: list[str]) -> dict:
    with Cluster(speed=speed) as cluster:
        apply_in_parent(cluster, tiers)
        cluster.emu.stats.reset()
        started = time.time()
        for name in names:
            _, proc = cluster.kubectl(
                "rollout", "status", f"deployment/{name}", "-n", NAMESPACE, "--timeout=600s"
            )
            if proc.returncode != 0:
                raise RuntimeError(f"kubectl rollout status failed:\n{proc.stderr[-2000:]}")
        returned = time.time()
        last = last_available(cluster, names)
        return {
            "reaction": returned - last,
            "seconds": returned - started,
            "requests": cluster.requests,
            "verbs": cluster.verbs(),
            "kinds": per_kind(cluster),
        }


def main() -> int:
    args = parse_args(__doc__ or "")
    require(*KFP_FILES)
    from kfwizard.manifests.objects import parse_files
    from kfwizard.manifests.tiers import build_tiers

    speed = 0.5 if args.quick else 1.0
    manifests = parse_files(KFP_FILES)
    tiers = build_tiers("kfp-standalone", manifests)
    deployments = [m for m in manifests if m.kind == "Deployment"]
    names = [m.name for m in deployments]
    refs = [{"kind": "Deployment", "namespace": NAMESPACE, "name": n} for n in names]
    have_kubectl = kubectl() is not None
    ours: list[dict] = []
    theirs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as folder:
        refs_file = Path(folder) / "refs.json"
        refs_file.write_text(json.dumps(refs), encoding="utf-8")
        for _ in range(args.runs):  # interleaved so drift hits both alike
            ours.append(kfwizard_wait(speed, tiers, refs_file, names))
            if have_kubectl:
                theirs.append(kubectl_wait(speed, tiers, names))

    worst_kind = max(max(l, w) for run in ours for l, w in run["kinds"].values())  # noqa: E741
    kinds = ours[-1]["kinds"]
    reactions = [r["reaction"] for r in ours]
    reaction = median(reactions)
    figures = [
        Figure(
            "wait.requests_per_kind",
            f"at most {worst_kind} LIST and {worst_kind} WATCH per kind over {len(ours)} "
            f"waits (last: {', '.join(f'{k} {l}+{w}' for k, (l, w) in sorted(kinds.items()))};"  # noqa: E741
            f" {ours[-1]['requests']} requests in all: {ours[-1]['verbs']})",
            "<= 1 list + 1 watch per kind",
            worst_kind <= 1,
        ),
        Figure(
            "wait.reaction",
            f"{ms(reaction)} after the last of {len(names)} Deployments became Available "
            f"(worst {ms(max(reactions))}, n={len(reactions)})",
            "<= 100 ms",
            reaction <= 0.100,
        ),
        Figure(
            "wait.kfwizard_time",
            f"{spread([r['seconds'] for r in ours])} at speed {speed:g}",
            "reported",
            None,
        ),
    ]
    if not have_kubectl:
        figures.append(skipped("wait.kubectl", "kubectl is not installed: no peer to compare"))
        return report(figures, args.quick)
    last = theirs[-1]
    figures += [
        Figure(
            "wait.kubectl_time",
            f"{spread([r['seconds'] for r in theirs])}; reacts "
            f"{ms(median([r['reaction'] for r in theirs]))} after the last Available",
            "reported",
            None,
        ),
        Figure(
            "wait.kubectl_requests",
            f"{median([r['requests'] for r in theirs]):.0f} requests for {len(names)} "
            f"`rollout status` ({last['verbs']}; "
            f"{', '.join(f'{k} {l}+{w}' for k, (l, w) in sorted(last['kinds'].items()))})",  # noqa: E741
            "reported",
            None,
        ),
    ]
    return report(figures, args.quick)


if __name__ == "__main__":
    raise SystemExit(main())
