"""Apply: KFP 2.17.0 (platform-agnostic, 88 objects) through kfwizard's applier against
``kubectl apply --server-side`` of the same two files, each to a fresh emulated cluster.

Target: kfwizard's apply <= 0.5x kubectl's wall time, measured in the same run (the
runs are interleaved, so load from other work on the machine hits both alike).

What each clock covers:
- kubectl: the whole ``kubectl apply --server-side --validate=false -f A -f B`` process
  (start-up, reading the YAML, discovery with an empty ``--cache-dir``, the requests).
- kfwizard: in its own process (see client.py), from building the clients to the
  applier's return: discovery, the three KFP tiers of the install step (Namespaces and
  CRDs, waiting until the CRDs are Established, the rest by 8 workers), every request.
  Parsing the YAML is the manifests step's work, not the applier's; it is reported
  on its own line, with the ratio it would give if it were counted.

Requests per object come from the emulator's counters (``emu.stats``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import (
    KFP_FILES,
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


def parse_kfp() -> tuple[list, float]:
    """The manifests as the product parses them, and how long that took."""
    from kfwizard.manifests.objects import parse_files

    start = time.perf_counter()
    manifests = parse_files(KFP_FILES)
    return manifests, time.perf_counter() - start


def kubectl_run() -> Run:
    """``kubectl apply --server-side --validate=false -f A -f B`` on a fresh cluster."""
    args = ["apply", "--server-side", "--validate=false"]
    for path in KFP_FILES:
        args += ["-f", str(path)]
    return kubectl_apply(args)


def cpu_text(runs: list[Run]) -> str:
    return (
        f"client CPU {median([r.client_cpu for r in runs]):.3f} s, emulator CPU "
        f"{median([r.server_cpu for r in runs]):.3f} s"
    )


def main() -> int:
    args = parse_args(__doc__ or "")
    require(*KFP_FILES)
    from kfwizard.manifests.tiers import build_tiers

    manifests, _ = parse_kfp()
    count = len(manifests)
    parse_times = [parse_kfp()[1] for _ in range(args.runs)]
    have_kubectl = kubectl() is not None
    tiers: list[Run] = []
    group: list[Run] = []
    theirs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as folder:
        source = Path(folder) / "kfp.json"
        write_tiers(source, build_tiers("kfp-standalone", manifests))
        kfwizard_apply(source)  # warm the page cache and the emulator's imports
        for _ in range(args.runs):  # interleaved so drift hits all three alike
            tiers.append(kfwizard_apply(source))
            group.append(kfwizard_apply(source, "--one-group"))
            if have_kubectl:
                theirs.append(kubectl_run())

    ours = median([r.seconds for r in tiers])
    last = tiers[-1]
    figures = [
        Figure(
            "apply.kfwizard",
            f"{ours:.3f} s for {count} objects ({cpu_text(tiers)})",
            "reported",
            None,
        ),
        Figure(
            "apply.kfwizard_detail",
            f"tiers {spread([r.seconds for r in tiers])}; one group "
            f"{spread([r.seconds for r in group])}",
            "reported",
            None,
        ),
        Figure(
            "apply.kfwizard_requests_per_object",
            f"{last.requests / count:.2f} ({last.requests} requests: {last.verbs})",
            "reported",
            None,
        ),
        Figure(
            "apply.parse",
            f"{median(parse_times):.3f} s (parse_files, YAML to objects)",
            "reported; not in the ratio",
            None,
        ),
    ]
    if not have_kubectl:
        figures.append(skipped("apply.ratio", "kubectl is not installed: no peer to compare"))
        return report(figures, args.quick)
    theirs_s = median([r.seconds for r in theirs])
    ratio = ours / theirs_s
    with_parse = (ours + median(parse_times)) / theirs_s
    peer = theirs[-1]
    figures += [
        Figure(
            "apply.kubectl",
            f"{spread([r.seconds for r in theirs])} ({cpu_text(theirs)})",
            "reported",
            None,
        ),
        Figure(
            "apply.kubectl_requests_per_object",
            f"{peer.requests / count:.2f} ({peer.requests} requests: {peer.verbs})",
            "reported",
            None,
        ),
        Figure(
            "apply.ratio",
            f"{ratio:.2f}x kubectl ({ours:.3f} s vs {theirs_s:.3f} s); "
            f"{with_parse:.2f}x counting the parse",
            "<= 0.5x kubectl",
            ratio <= 0.5,
        ),
    ]
    return report(figures, args.quick)


if __name__ == "__main__":
    raise SystemExit(main())
