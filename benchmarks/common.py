"""Shared helpers for the benchmarks: medians, figures, the quick/full switch.

Every figure compares kfwizard with a peer measured in the same run (a bare Textual
app, ``python -c pass``, kubectl against the same emulator), so machine noise largely
cancels out. Each script prints one line per figure, ``name: value (target)``, and
exits non-zero when a target is missed in full mode. Quick mode (CI) takes fewer
repetitions and reports without failing, so the scripts cannot rot.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = (ROOT / ".." / "shared" / "fixtures").resolve()


@dataclass
class Figure:
    name: str
    value: str
    target: str
    ok: bool | None
    """None: reported only (no target)."""

    def line(self) -> str:
        verdict = "" if self.ok is None else (" ok" if self.ok else " MISSED")
        return f"{self.name}: {self.value} ({self.target}){verdict}"


def parse_args(description: str, quick_runs: int = 2) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions; never fail on targets"
    )
    parser.add_argument("--runs", type=int, default=None, help="repetitions per measurement")
    args = parser.parse_args()
    if args.runs is None:
        args.runs = quick_runs if args.quick else 5
    return args


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def run_python(code: str, *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter with the project importable; return stdout."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def report(figures: list[Figure], quick: bool) -> int:
    for figure in figures:
        print(figure.line(), flush=True)
    missed = [f for f in figures if f.ok is False]
    if missed and not quick:
        return 1
    return 0


# -- shared by the cluster benchmarks (apply, wait, scale) ---------------------------------

if str(ROOT) not in sys.path:  # the scripts run from benchmarks/; kfwizard lives one up
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
CLIENT = HERE / "client.py"
"""The client-side child process (see its docstring for why it is a separate process)."""
CONTEXT = "bench"
KFP_DIR = FIXTURES / "kfp" / "2.17.0"
KFP_FILES = (KFP_DIR / "cluster-scoped-resources.yaml", KFP_DIR / "env-platform-agnostic.yaml")
KUBEFLOW_FILE = FIXTURES / "kubeflow" / "26.03" / "example.yaml"
DEFAULT_MACHINE = "e2-standard-4"


def require(*paths: Path) -> None:
    """Stop with a plain message when the shared fixtures are not next to the project."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"benchmark fixtures not found: {', '.join(missing)}")


def kubectl() -> str | None:
    return shutil.which("kubectl")


def kubectl_version() -> str:
    """kubectl's client version, or "missing" (for the README's machine line)."""
    path = kubectl()
    if path is None:
        return "missing"
    proc = subprocess.run(
        [path, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=60
    )
    try:
        return str(json.loads(proc.stdout)["clientVersion"]["gitVersion"])
    except (ValueError, KeyError):
        return "unknown"


def skipped(name: str, why: str) -> Figure:
    """A figure that could not be measured on this machine (never a failure)."""
    return Figure(name, "skipped", why, None)


class Cluster:
    """A fresh emulated cluster with its own kubeconfig file and kubectl cache folder.

    Fresh per measurement because the benchmarks compare first installs: an empty store,
    no discovery cache on either side, and request counts that belong to one client.
    """

    def __init__(self, *, speed: float = 0.0, machine: str = DEFAULT_MACHINE, count: int = 3):
        from kfwizard.emulator.kube import KubeEmulator, NodeSpec

        self._tmp = tempfile.TemporaryDirectory(prefix="kfwizard-bench-")
        self.folder = Path(self._tmp.name)
        self.emu = KubeEmulator(
            name="bench", nodes=NodeSpec.for_machine(machine, count), speed=speed
        )
        self.kubeconfig = self.folder / "kubeconfig.yaml"
        self.cache_dir = self.folder / "kubectl-cache"
        self.kubectl_cpu = 0.0

    def __enter__(self) -> Cluster:
        import yaml

        self.emu.start()
        self.kubeconfig.write_text(yaml.safe_dump(self.emu.kubeconfig(CONTEXT)), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        self.emu.stop()
        self._tmp.cleanup()

    @property
    def requests(self) -> int:
        return sum(self.emu.stats.values())

    def verbs(self) -> dict[str, int]:
        """Requests by verb (apply, get, list, watch, ...)."""
        counts: dict[str, int] = {}
        for (verb, _), n in self.emu.stats.items():
            counts[verb] = counts.get(verb, 0) + n
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    def kubectl(
        self, *args: str, timeout: float = 600
    ) -> tuple[float, subprocess.CompletedProcess]:
        """Run kubectl against this cluster only (its kubeconfig, its cache); time it.

        ``self.kubectl_cpu`` accumulates kubectl's own CPU seconds (from ``os.wait4``).
        """
        path = kubectl()
        assert path is not None
        argv = [path, "--kubeconfig", str(self.kubeconfig), "--cache-dir", str(self.cache_dir)]
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            start = time.perf_counter()
            proc = subprocess.Popen([*argv, *args], stdout=out, stderr=err, text=True)
            code, _, cpu = wait_child(proc, timeout)
            seconds = time.perf_counter() - start
            out.seek(0)
            err.seek(0)
            done = subprocess.CompletedProcess(proc.args, code, out.read(), err.read())
        self.kubectl_cpu += cpu
        return seconds, done


def write_tiers(path: Path, tiers: list[Any]) -> None:
    """Tiers (``manifests.Tier`` or ``kube.apply.TierSpec``) as JSON for the child.

    The parent parses YAML once; children load JSON (a 12 MB render parses in seconds,
    its JSON in a tenth of that), so the child's clock covers connecting and applying.
    """
    from dataclasses import asdict

    from kfwizard.kube.apply import tier_spec

    data = [asdict(tier_spec(t)) for t in tiers]
    path.write_text(json.dumps(data, default=_isoformat), encoding="utf-8")


def _isoformat(value: Any) -> str:
    """YAML timestamps become datetimes; send them as the API client would (ISO 8601)."""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def client_argv(command: str, cluster: Cluster, *args: str) -> list[str]:
    return [
        sys.executable,
        str(CLIENT),
        command,
        "--kubeconfig",
        str(cluster.kubeconfig),
        "--context",
        CONTEXT,
        *args,
    ]


def client_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT))


def wait_child(proc: subprocess.Popen, timeout: float = 900) -> tuple[int, int, float]:
    """Reap ``proc`` with ``os.wait4``: (exit code, its peak RSS in KiB, its CPU seconds).

    ``getrusage(RUSAGE_CHILDREN)`` is the maximum over every child reaped so far; wait4
    gives this child's figures alone.
    """
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, int(usage.ru_maxrss), usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"child {proc.args!r} did not finish in {timeout:.0f} s")
        time.sleep(0.002)


def own_cpu() -> float:
    """CPU seconds of this process so far: in the cluster benchmarks, the emulator's."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_client(command: str, cluster: Cluster, *args: str, timeout: float = 900) -> dict[str, Any]:
    """Run one client child to completion; its JSON answer plus ``maxrss_kb``.

    stderr goes to a file, not a pipe: a chatty child (urllib3 warnings) must never
    block on a full pipe while the parent waits for its stdout.
    """
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(
            client_argv(command, cluster, *args),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=client_env(),
            cwd=ROOT,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        code, rss, _ = wait_child(proc, timeout)
        errors.seek(0)
        if code != 0:
            raise RuntimeError(f"client {command} failed ({code}):\n{errors.read()[-3000:]}")
    answer = json.loads(out.strip().splitlines()[-1])
    answer["maxrss_kb"] = rss
    return dict(answer)


@dataclass
class Run:
    """One apply to a fresh cluster: wall time, the client's and the emulator's CPU, and
    the requests the emulator counted."""

    seconds: float
    client_cpu: float
    server_cpu: float
    requests: int
    verbs: dict[str, int]
    attempts: int = 1
    answer: dict[str, Any] = field(default_factory=dict)
    """kfwizard's child: its JSON answer (``tiers``, ``marks``, ``maxrss_kb``)."""


def kfwizard_apply(source: Path, *flags: str, machine: str = DEFAULT_MACHINE) -> Run:
    """kfwizard's child (client.py ``apply``) on a fresh cluster of ``machine`` nodes."""
    with Cluster(machine=machine) as cluster:
        cpu = own_cpu()
        answer = run_client("apply", cluster, "--source", str(source), *flags)
        return Run(
            answer["seconds"],
            answer["cpu"],
            own_cpu() - cpu,
            cluster.requests,
            cluster.verbs(),
            answer=answer,
        )


def kubectl_apply(args: list[str], *, machine: str = DEFAULT_MACHINE, attempts: int = 1) -> Run:
    """``kubectl *args`` on a fresh cluster, repeated until it succeeds (at most
    ``attempts`` times, like upstream's retry loop); the time counts every attempt."""
    with Cluster(machine=machine) as cluster:
        cpu = own_cpu()
        start = time.perf_counter()
        for attempt in range(1, attempts + 1):
            _, proc = cluster.kubectl(*args)
            if proc.returncode == 0:
                return Run(
                    time.perf_counter() - start,
                    cluster.kubectl_cpu,
                    own_cpu() - cpu,
                    cluster.requests,
                    cluster.verbs(),
                    attempt,
                )
        raise RuntimeError(f"kubectl {args[0]} failed {attempts} times:\n{proc.stderr[-3000:]}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def spread(samples: list[float]) -> str:
    """``median (min-max, n=5)`` in seconds, for the detail lines."""
    low, high = min(samples), max(samples)
    return f"{median(samples):.3f} s (min {low:.3f}, max {high:.3f}, n={len(samples)})"
