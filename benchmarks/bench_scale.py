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

Growth: the same applier (``apply_objects``, one group) on subsets of about 100, 200
and 400 objects and on the largest set that applies on its own, each with the same mix
of kinds as the render (see ``subset``). Left out of every subset: the admission
webhook configurations (a subset can hold a webhook without the Deployment behind it,
which would block every write it intercepts) and custom resources (each needs its CRD,
which would skew the mix towards CRDs, 85% of the bytes). Time per object should stay
flat as the count grows (linear): per-object time at the largest size <= 1.5x the
smallest's.

Peak RSS: the kfwizard child's own peak (``os.wait4``) while applying everything.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    KUBEFLOW_FILE,
    Figure,
    Run,
    kfwizard_apply,
    kubectl,
    kubectl_apply,
    median,
    parse_args,
    report,
    require,
    skipped,
    spread,
    write_tiers,
)

MACHINE = "e2-standard-8"
WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
MAX_KUBECTL_ATTEMPTS = 10
KUBECTL_LOOP = [
    "apply",
    "--server-side",
    "--force-conflicts",
    "--validate=false",
    "-f",
    str(KUBEFLOW_FILE),
]
"""Upstream's one-liner, inside ``while ! ...; do ...; done`` (without its ``sleep 20``)."""


def subset(manifests: list[Any], wanted: int) -> list[Any]:
    """About ``wanted`` objects with the same mix of kinds as the whole render.

    Every kind contributes the same share of its objects, evenly spread, so the
    CustomResourceDefinitions (85% of the bytes) stay about 13% of every subset and time
    per object compares across sizes. Left out: webhook configurations (see the module
    docstring) and custom resources (each would pull in its CRD and skew the mix).
    Namespaces are added for the objects that live in them.
    """
    namespaces = {m.name: m for m in manifests if m.kind == "Namespace" and not m.group}
    pool = [
        m
        for m in manifests
        if m.kind not in WEBHOOK_KINDS
        and not (m.kind == "Namespace" and not m.group)
        and (m.is_crd or not m.is_custom_resource)
    ]
    by_kind: dict[tuple[str, str], list[Any]] = {}
    for m in pool:
        by_kind.setdefault((m.group, m.kind), []).append(m)
    needed = {m.obj["metadata"].get("namespace") for m in pool} & set(namespaces)
    share = min(1.0, max(0, wanted - len(needed)) / len(pool))
    picked: set[int] = set()
    for objects in by_kind.values():
        take = round(share * len(objects))
        picked.update(id(objects[int(i * len(objects) / take)]) for i in range(take))
    for m in pool:
        ns = m.obj["metadata"].get("namespace")
        if id(m) in picked and ns in namespaces:
            picked.add(id(namespaces[ns]))
    return [m for m in manifests if id(m) in picked]


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
    ours: list[Run] = []
    theirs: list[Run] = []
    curve: dict[int, list[float]] = {}
    megabytes: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as folder:
        full = Path(folder) / "full.json"
        write_tiers(full, build_tiers("kubeflow", manifests))
        for _ in range(args.runs):  # interleaved so drift hits both alike
            ours.append(kfwizard_apply(full, machine=MACHINE))
            if have_kubectl:
                theirs.append(
                    kubectl_apply(KUBECTL_LOOP, machine=MACHINE, attempts=MAX_KUBECTL_ATTEMPTS)
                )
        sources: dict[int, Path] = {}
        for size in sizes:
            part = subset(manifests, size)
            source = Path(folder) / f"subset-{size}.json"
            write_tiers(source, [("subset", part)])
            sources[len(part)] = source
            megabytes[len(part)] = source.stat().st_size / 1e6
        for _ in range(curve_runs):  # every size once per round, so drift hits all alike
            for n, source in sources.items():
                run = kfwizard_apply(source, "--one-group", machine=MACHINE)
                curve.setdefault(n, []).append(run.seconds)

    seconds = median([r.seconds for r in ours])
    last = ours[-1]
    figures = [
        Figure(
            "scale.kfwizard",
            f"{seconds:.2f} s for {count} objects, {count / seconds:.0f} objects/s "
            f"({spread([r.seconds for r in ours])}); client CPU "
            f"{median([r.client_cpu for r in ours]):.2f} s, emulator CPU "
            f"{median([r.server_cpu for r in ours]):.2f} s; "
            f"{last.requests / count:.2f} requests per object ({last.verbs})",
            "reported",
            None,
        ),
        Figure(
            "scale.kfwizard_tiers",
            ", ".join(f"{name} {n} in {s:.2f} s" for name, n, s in last.answer["tiers"]),
            "reported (last run)",
            None,
        ),
        Figure("scale.parse", f"{parse_seconds:.2f} s (parse_files, 11.9 MB)", "reported", None),
        Figure(
            "scale.peak_rss",
            f"{median([r.answer['maxrss_kb'] for r in ours]) / 1024:.0f} MB (kfwizard's process "
            f"applying {count} objects)",
            "reported",
            None,
        ),
    ]
    points = sorted((n, median(s)) for n, s in curve.items())
    growth = ", ".join(
        f"{n} ({megabytes[n]:.1f} MB): {s:.2f} s ({s / n * 1000:.1f} ms/object)" for n, s in points
    )
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
    theirs_s = median([r.seconds for r in theirs])
    ratio = seconds / theirs_s
    figures += [
        Figure(
            "scale.kubectl",
            f"{theirs_s:.2f} s ({spread([r.seconds for r in theirs])}), "
            f"{peer.attempts} attempts; kubectl CPU {median([r.client_cpu for r in theirs]):.2f}"
            f" s, emulator CPU {median([r.server_cpu for r in theirs]):.2f} s; "
            f"{peer.requests / count:.2f} requests per object ({peer.verbs})",
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
