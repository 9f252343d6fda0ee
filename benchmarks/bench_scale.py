"""Scale: the full Kubeflow platform (26.03 ``example``, 675 objects, 11.9 MB of YAML).

Target: kfwizard applies it in <= 0.5x kubectl's wall time, each on a fresh emulated
cluster (3 x e2-standard-8, speed 0) in the same run.

- kfwizard: the install step's path, ``apply_tiers`` over the platform's ten tiers
  (CRDs Established before their instances, each tier's workloads and webhook backends
  ready before the next tier), in its own process (client.py says why and what the
  clock covers).
- kubectl: the upstream one-liner's loop, ``while ! kubectl apply --server-side
  --force-conflicts -f example.yaml; do ...; done``, with ``--validate=false`` and
  without the upstream ``sleep 20`` between attempts (kubectl's best case). The first
  attempt fails on the instances of CRDs it has just created; the time counts every
  attempt until one succeeds.

Growth: the same applier (``apply_objects``, one group) on evenly spread subsets of
100, 200, 400 objects and on everything but the admission webhook configurations
(a subset can hold a webhook without the Deployment behind it, which would block every
write it intercepts). Each subset is closed over what it needs: the Namespaces of its
objects and the CRDs of its custom resources. Time per object should stay flat as the
count grows (linear): per-object time at the largest size <= 1.5x the smallest's.

Peak RSS: the kfwizard child's own peak (``os.wait4``) while applying everything.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    KUBEFLOW_FILE,
    Cluster,
    Figure,
    kubectl,
    median,
    own_cpu,
    parse_args,
    report,
    require,
    run_client,
    skipped,
    spread,
    write_tiers,
)

MACHINE = "e2-standard-8"
WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
MAX_KUBECTL_ATTEMPTS = 10


def subset(manifests: list[Any], wanted: int) -> list[Any]:
    """About ``wanted`` objects spread evenly over the render, with their Namespaces
    and CRDs added (so the subset applies on its own); never more than ``wanted``."""
    namespaces = {m.name: m for m in manifests if m.kind == "Namespace" and not m.group}
    crds = {}
    for m in manifests:
        if m.is_crd:
            spec = m.obj.get("spec") or {}
            crds[(spec.get("group"), (spec.get("names") or {}).get("kind"))] = m
    pool = [m for m in manifests if m.kind not in WEBHOOK_KINDS and m.kind != "Namespace"]

    def closed(picked: list[Any]) -> list[Any]:
        extra: dict[int, Any] = {}
        for m in picked:
            ns = m.obj["metadata"].get("namespace")
            if ns in namespaces:
                extra[id(namespaces[ns])] = namespaces[ns]
            crd = crds.get((m.group, m.kind))
            if crd is not None:
                extra[id(crd)] = crd
        chosen = {id(m) for m in picked} | set(extra)
        return [m for m in manifests if id(m) in chosen]

    take = min(wanted, len(pool))
    while True:
        picked = [pool[int(i * len(pool) / take)] for i in range(take)]
        result = closed(picked)
        if len(result) <= wanted or take == 1:
            return result
        take -= len(result) - wanted


def kubectl_loop() -> dict[str, Any]:
    """kubectl's loop on a fresh cluster until an attempt succeeds: seconds, attempts,
    requests, kubectl's CPU and the emulator's CPU."""
    with Cluster(machine=MACHINE) as cluster:
        cpu = own_cpu()
        start = time.perf_counter()
        for attempt in range(1, MAX_KUBECTL_ATTEMPTS + 1):
            _, proc = cluster.kubectl(
                "apply",
                "--server-side",
                "--force-conflicts",
                "--validate=false",
                "-f",
                str(KUBEFLOW_FILE),
            )
            if proc.returncode == 0:
                return {
                    "seconds": time.perf_counter() - start,
                    "attempts": attempt,
                    "requests": cluster.requests,
                    "verbs": cluster.verbs(),
                    "cpu": cluster.kubectl_cpu,
                    "server_cpu": own_cpu() - cpu,
                }
        raise RuntimeError(f"kubectl never succeeded:\n{proc.stderr[-3000:]}")


def kfwizard_apply(source: Path, *flags: str) -> dict[str, Any]:
    """kfwizard's child on a fresh cluster: its answer plus requests and emulator CPU."""
    with Cluster(machine=MACHINE) as cluster:
        cpu = own_cpu()
        answer = run_client("apply", cluster, "--source", str(source), *flags)
        answer["server_cpu"] = own_cpu() - cpu
        answer["requests"] = cluster.requests
        answer["verbs"] = cluster.verbs()
        return answer


def main() -> int:
    args = parse_args(__doc__ or "", quick_runs=1)
    require(KUBEFLOW_FILE)
    from kfwizard.manifests.objects import parse_files
    from kfwizard.manifests.tiers import build_tiers

    started = time.perf_counter()
    manifests = parse_files([KUBEFLOW_FILE])
    parse_seconds = time.perf_counter() - started
    count = len(manifests)
    sizes = [100, 200] if args.quick else [100, 200, 400, count]
    curve_runs = 1 if args.quick else 3
    have_kubectl = kubectl() is not None
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    curve: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as folder:
        full = Path(folder) / "full.json"
        write_tiers(full, build_tiers("kubeflow", manifests))
        for _ in range(args.runs):  # interleaved so drift hits both alike
            ours.append(kfwizard_apply(full))
            if have_kubectl:
                theirs.append(kubectl_loop())
        for size in sizes:
            part = subset(manifests, size)
            source = Path(folder) / f"subset-{size}.json"
            write_tiers(source, [("subset", part)])
            for _ in range(curve_runs):
                answer = kfwizard_apply(source, "--one-group")
                curve.setdefault(len(part), []).append(answer["seconds"])

    seconds = median([r["seconds"] for r in ours])
    last = ours[-1]
    figures = [
        Figure(
            "scale.kfwizard",
            f"{seconds:.2f} s for {count} objects, {count / seconds:.0f} objects/s "
            f"({spread([r['seconds'] for r in ours])}); client CPU "
            f"{median([r['cpu'] for r in ours]):.2f} s, emulator CPU "
            f"{median([r['server_cpu'] for r in ours]):.2f} s; "
            f"{last['requests'] / count:.2f} requests per object ({last['verbs']})",
            "reported",
            None,
        ),
        Figure(
            "scale.kfwizard_tiers",
            ", ".join(f"{name} {n} in {s:.2f} s" for name, n, s in last["tiers"]),
            "reported (last run)",
            None,
        ),
        Figure("scale.parse", f"{parse_seconds:.2f} s (parse_files, 11.9 MB)", "reported", None),
        Figure(
            "scale.peak_rss",
            f"{median([r['maxrss_kb'] for r in ours]) / 1024:.0f} MB (kfwizard's process "
            f"applying {count} objects)",
            "reported",
            None,
        ),
    ]
    points = sorted((n, median(s)) for n, s in curve.items())
    growth = ", ".join(f"{n}: {s:.2f} s ({s / n * 1000:.1f} ms/object)" for n, s in points)
    (n0, t0), (n1, t1) = points[0], points[-1]
    linearity = (t1 / n1) / (t0 / n0)
    figures.append(
        Figure(
            "scale.growth",
            f"{growth}; per-object time at {n1} = {linearity:.2f}x at {n0}",
            "linear: <= 1.5x",
            linearity <= 1.5,
        )
    )
    if not have_kubectl:
        figures.append(skipped("scale.ratio", "kubectl is not installed: no peer to compare"))
        return report(figures, args.quick)
    peer = theirs[-1]
    theirs_s = median([r["seconds"] for r in theirs])
    ratio = seconds / theirs_s
    figures += [
        Figure(
            "scale.kubectl",
            f"{theirs_s:.2f} s ({spread([r['seconds'] for r in theirs])}), "
            f"{peer['attempts']} attempts; kubectl CPU {median([r['cpu'] for r in theirs]):.2f}"
            f" s, emulator CPU {median([r['server_cpu'] for r in theirs]):.2f} s; "
            f"{peer['requests'] / count:.2f} requests per object ({peer['verbs']})",
            "reported",
            None,
        ),
        Figure(
            "scale.ratio",
            f"{ratio:.2f}x kubectl ({seconds:.2f} s vs {theirs_s:.2f} s)",
            "<= 0.5x kubectl",
            ratio <= 0.5,
        ),
    ]
    return report(figures, args.quick)


if __name__ == "__main__":
    raise SystemExit(main())
