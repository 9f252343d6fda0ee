"""Memory: peak RSS of a whole headless demo install.

``kfwizard run --demo --answers examples/demo.yaml --speed 0 --yes`` in a child
process with its own ``KFWIZARD_HOME``: every step from credentials to verify, against
the built-in emulators, which run inside that same process (the GKE, Service Usage and
Kubernetes API emulators and their simulated cluster count towards its RSS, as they do
for a person running the demo).

Target: peak RSS <= 200 MB. The child's own peak comes from ``os.wait4`` (the rusage of
that one child, not the maximum over all children so far). ``python -c pass`` and an
interpreter that only imports the wizard's heavy dependencies are reported alongside, so
a regression can be told apart from a fatter interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from common import ROOT, Figure, median, parse_args, report, wait_child

LIMIT_MB = 200.0
DEMO = ROOT / "examples" / "demo.yaml"
IMPORTS = "import textual.app, kubernetes.client, kubernetes.dynamic, yaml, kfwizard.app"


def peak_rss(argv: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one child, with a fresh KFWIZARD_HOME."""
    with tempfile.TemporaryDirectory(prefix="kfwizard-bench-") as home:
        env = dict(os.environ, PYTHONPATH=str(ROOT), KFWIZARD_HOME=home, NO_GCE_CHECK="true")
        with tempfile.TemporaryFile() as out:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
            code, rss_kb, _ = wait_child(proc, timeout=600)
            seconds = time.perf_counter() - start
            if code != 0:
                out.seek(0)
                tail = out.read().decode(errors="replace")[-3000:]
                raise RuntimeError(f"{' '.join(argv)} exited {code}:\n{tail}")
    return rss_kb / 1024, seconds


def main() -> int:
    args = parse_args(__doc__ or "", quick_runs=1)
    demo_argv = [sys.executable, "-m", "kfwizard", "run", "--demo", "--answers", str(DEMO)]
    demo_argv += ["--speed", "0", "--yes"]
    demo, walls, bare, imports = [], [], [], []
    for _ in range(args.runs):
        rss, seconds = peak_rss(demo_argv)
        demo.append(rss)
        walls.append(seconds)
        bare.append(peak_rss([sys.executable, "-c", "pass"])[0])
        imports.append(peak_rss([sys.executable, "-c", IMPORTS])[0])
    peak = median(demo)
    figures = [
        Figure(
            "memory.demo_peak_rss",
            f"{peak:.0f} MB (max {max(demo):.0f}, n={len(demo)}; the install took "
            f"{median(walls):.1f} s)",
            f"<= {LIMIT_MB:.0f} MB",
            peak <= LIMIT_MB,
        ),
        Figure(
            "memory.baselines",
            f"python -c pass {median(bare):.0f} MB; importing textual, kubernetes and "
            f"kfwizard.app {median(imports):.0f} MB",
            "reported",
            None,
        ),
    ]
    return report(figures, args.quick)


if __name__ == "__main__":
    raise SystemExit(main())
