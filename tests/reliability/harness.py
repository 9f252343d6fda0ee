"""The reliability harness: an external ``kfwizard emulator`` process, ``kfwizard run``
processes watched line by line (to kill or interrupt them at chosen points), answers
files for the shared 2.17.0 fixture, and the end-state checks every scenario ends with.

Everything here talks to 127.0.0.1 only. Child processes get ``childhooks/`` (copied to
a temp folder) on their ``PYTHONPATH``: a loopback-only audit hook, plus the kill hooks
a test asks for through ``KFWIZARD_TEST_*`` variables.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = (PROJECT_ROOT / ".." / "shared" / "fixtures").resolve()
KFP_2170 = FIXTURES / "kfp" / "2.17.0"
KFP_FILES = ("cluster-scoped-resources.yaml", "env-platform-agnostic.yaml")
HOOKS = Path(__file__).resolve().parent / "childhooks"

PROJECT = "kfwizard-demo"
CLUSTER = "kubeflow-testing"
LOCATION = "us-central1-a"
CLUSTER_APIS = ("compute.googleapis.com", "container.googleapis.com")
"""What a fresh emulated project lacks and the session must enable (and list)."""
STEPS = (
    "credentials",
    "services",
    "cluster",
    "connect",
    "manifests",
    "preflight",
    "apply",
    "rollout",
    "verify",
)
FULL_SWEEP = os.environ.get("KFWIZARD_FULL_SWEEP") == "1"

RUN_TIMEOUT = 180.0
"""Hard bound on any one ``kfwizard run``: a hang fails the test instead of CI."""


# -- answers ----------------------------------------------------------------------------------


def answers_data(**deployment: Any) -> dict[str, Any]:
    """The 2.17.0 platform-agnostic install from the shared rendered fixture."""
    return {
        "name": "reliability",
        "project": PROJECT,
        "services": "enable",
        "cluster": {
            "source": "create",
            "name": CLUSTER,
            "location": LOCATION,
            "machine_type": "n1-standard-2",
            "nodes": 3,
        },
        "deployment": {
            "mode": "kfp-standalone",
            "version": "2.17.0",
            "env": "platform-agnostic",
            "manifests": str(KFP_2170),
            **deployment,
        },
    }


def write_answers(folder: Path, name: str = "answers.yaml", **deployment: Any) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(answers_data(**deployment), sort_keys=False))
    return path


# -- child processes ------------------------------------------------------------------------


def kill_leftovers() -> None:
    """SIGKILL (by pid) any child a failed test left running, then reap it."""
    while LIVE:
        proc = LIVE.pop()
        if proc.popen.poll() is None:
            proc.kill()
            try:
                proc.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(Exception):
            proc._err.close()


def hook_dir(tmp: Path) -> Path:
    """``sitecustomize.py`` copied into a temp folder (for the child's PYTHONPATH)."""
    folder = tmp / "childhooks"
    folder.mkdir(exist_ok=True)
    shutil.copy(HOOKS / "sitecustomize.py", folder / "sitecustomize.py")
    return folder


def child_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This test's environment (its KFWIZARD_HOME, HOME...) plus the hooks."""
    env = dict(os.environ)
    for key in ("KFWIZARD_TEST_KILL", "KFWIZARD_TEST_STEP_LOG", "KFWIZARD_TIMEOUTS"):
        env.pop(key, None)
    env["PYTHONPATH"] = os.pathsep.join([str(hook_dir(tmp)), str(PROJECT_ROOT)])
    env["KFWIZARD_TEST_AUDIT_LOG"] = str(tmp / "network-audit.log")
    env["NO_GCE_CHECK"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def audit_violations(tmp: Path) -> list[str]:
    path = tmp / "network-audit.log"
    return path.read_text().splitlines() if path.exists() else []


LIVE: list[Proc] = []
"""Every child started by this test process; the conftest kills leftovers after a test."""


class Proc:
    """A child process whose stdout is read line by line as it comes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.err_path = cwd / f"{label}.stderr"
        self._err = self.err_path.open("w")
        self.popen = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=cwd,
        )
        LIVE.append(self)
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._done = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._done = True
            self._cond.notify_all()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_for(self, pattern: str, timeout: float = 60.0) -> str:
        """Block until a stdout line matches ``pattern``; fail clearly otherwise."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    if regex.search(line):
                        return line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self._done or left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
        self.kill()
        raise AssertionError(
            f"{self.label}: no line matching {pattern!r} "
            f"({'process ended' if self._done else 'timed out'}).\n{self.tail()}"
        )

    def send(self, sig: int) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)

    def kill(self) -> None:
        self.send(signal.SIGKILL)

    def wait(self, timeout: float = RUN_TIMEOUT) -> int:
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.popen.wait(timeout=10)
            raise AssertionError(
                f"{self.label} did not finish within {timeout:.0f} s\n{self.tail()}"
            ) from None
        self._reader.join(timeout=10)
        self._err.close()
        return code

    @property
    def out(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    @property
    def err(self) -> str:
        return self.err_path.read_text(errors="replace") if self.err_path.exists() else ""

    def tail(self, n: int = 40) -> str:
        with self._cond:
            lines = self.lines[-n:]
        out = "\n".join(lines)
        return f"--- stdout (tail) ---\n{out}\n--- stderr ---\n{self.err[-4000:]}"


class Emulator:
    """``kfwizard emulator`` in its own process, as a user runs it next to gcloud."""

    def __init__(
        self,
        tmp: Path,
        *,
        speed: float = 0.0,
        seed: int = 1234,
        state_dir: Path | None = None,
        args: Iterable[str] = (),
    ) -> None:
        self.tmp = tmp
        self.speed = speed
        self.seed = seed
        self.state_dir = state_dir
        self.args = list(args)
        self.proc: Proc | None = None
        self.env: dict[str, str] = {}
        self.starts = 0

    def start(self) -> Emulator:
        self.starts += 1
        ready = self.tmp / f"emulator-ready-{self.starts}.env"
        argv = [
            sys.executable,
            "-m",
            "kfwizard",
            "emulator",
            "--ready-file",
            str(ready),
            "--speed",
            str(self.speed),
            "--seed",
            str(self.seed),
            "--project",
            PROJECT,
            *(["--state-dir", str(self.state_dir)] if self.state_dir else []),
            *self.args,
        ]
        self.proc = Proc(argv, child_env(self.tmp), self.tmp, f"emulator-{self.starts}")
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.proc.popen.poll() is not None:
                raise AssertionError(f"the emulator exited early\n{self.proc.tail()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError("the emulator did not get ready in 60 s")
            time.sleep(0.05)
        self.env = {}
        for line in ready.read_text().splitlines():
            words = shlex.split(line)
            key, value = words[1].split("=", 1)
            self.env[key] = value
        return self

    def stop(self) -> None:
        """SIGTERM (state saved with --state-dir), then wait."""
        if self.proc is not None and self.proc.popen.poll() is None:
            self.proc.send(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except AssertionError:
                pass
        self.proc = None

    def restart(self, args: Iterable[str] | None = None) -> Emulator:
        self.stop()
        if args is not None:
            self.args = list(args)
        return self.start()

    @property
    def gke_url(self) -> str:
        return self.env["CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER"].rstrip("/")

    @property
    def serviceusage_url(self) -> str:
        return self.env["CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE"].rstrip("/")


def start_run(
    tmp: Path,
    emulator: Emulator,
    args: Sequence[str],
    *,
    extra_env: dict[str, str] | None = None,
    label: str = "run",
) -> Proc:
    """``kfwizard run ARGS`` against ``emulator`` (this test's KFWIZARD_HOME)."""
    env = child_env(tmp, {**emulator.env, **(extra_env or {})})
    n = sum(1 for _ in tmp.glob(f"{label}*.stderr"))
    return Proc([sys.executable, "-m", "kfwizard", "run", *args], env, tmp, f"{label}-{n + 1}")


def run_to_end(
    tmp: Path,
    emulator: Emulator,
    args: Sequence[str],
    *,
    extra_env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT,
    label: str = "run",
) -> Proc:
    proc = start_run(tmp, emulator, args, extra_env=extra_env, label=label)
    proc.wait(timeout)
    return proc


def session_id_of(proc: Proc) -> str:
    for line in proc.lines:
        match = re.match(r"(?:New|Resuming) session (\S+?)[ .]", line)
        if match:
            return match.group(1)
    raise AssertionError(f"no session id in the output\n{proc.tail()}")


# -- reading what is on disk ----------------------------------------------------------------


def sessions_dir() -> Path:
    from kfwizard import paths

    return paths.sessions_dir()


def read_session(session_id: str) -> dict[str, Any]:
    """The session file as JSON: it must always parse and load."""
    from kfwizard.session import Session

    path = sessions_dir() / f"{session_id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    Session.from_json(data)
    return data


def step_states(session_id: str) -> dict[str, str]:
    return {k: v["state"] for k, v in read_session(session_id)["steps"].items()}


# -- the emulated cloud, read with the official clients ---------------------------------------


def gke_client(emulator: Emulator) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import container_v1

    return container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.gke_url},
    )


def serviceusage_client(emulator: Emulator) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import service_usage_v1

    return service_usage_v1.ServiceUsageClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.serviceusage_url},
    )


def list_clusters(emulator: Emulator) -> list[Any]:
    client = gke_client(emulator)
    return list(client.list_clusters(parent=f"projects/{PROJECT}/locations/-").clusters)


def kube_api(emulator: Emulator, tmp: Path) -> Any:
    """A kubernetes ApiClient for the one cluster, from what GKE says (endpoint, CA)."""
    import base64

    import kubernetes

    (cluster,) = [c for c in list_clusters(emulator) if c.name == CLUSTER]
    ca = tmp / f"ca-{cluster.endpoint.replace(':', '-')}.pem"
    ca.write_bytes(base64.b64decode(cluster.master_auth.cluster_ca_certificate))
    config = kubernetes.client.Configuration()
    config.host = f"https://{cluster.endpoint}"
    config.ssl_ca_cert = str(ca)
    return kubernetes.client.ApiClient(config)


_EXPECTED: dict[str, set[tuple[str, str, str, str]]] = {}


def expected_objects(folder: Path = KFP_2170) -> set[tuple[str, str, str, str]]:
    """(apiVersion, kind, namespace, name) of every object in the fixture, read with
    plain PyYAML (not kfwizard's parser): the independent truth the checks compare to."""
    key = str(folder)
    if key not in _EXPECTED:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        found = set()
        for name in KFP_FILES:
            for doc in yaml.load_all((folder / name).read_text(), Loader=loader):
                if doc:
                    meta = doc["metadata"]
                    found.add(
                        (doc["apiVersion"], doc["kind"], meta.get("namespace") or "", meta["name"])
                    )
        _EXPECTED[key] = found
    return _EXPECTED[key]


def cluster_objects(api: Any, kinds: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Objects of these kinds whose fields kfwizard manages (server-side apply), as a list:
    a duplicate would show up twice."""
    from kubernetes.dynamic import DynamicClient

    dyn = DynamicClient(api)
    found: list[tuple[str, ...]] = []
    for api_version, kind in sorted(set(kinds)):
        resource = dyn.resources.get(api_version=api_version, kind=kind)
        for item in resource.get().to_dict().get("items") or []:
            meta = item.get("metadata") or {}
            managers = {m.get("manager") for m in meta.get("managedFields") or []}
            if "kfwizard" in managers:
                found.append((api_version, kind, meta.get("namespace") or "", meta["name"]))
    return found


@dataclass
class EndState:
    session: dict[str, Any]
    clusters: list[Any]
    objects: list[tuple[str, ...]]
    problems: list[str] = field(default_factory=list)


def check_installed(emulator: Emulator, tmp: Path, session_id: str) -> EndState:
    """The end state of a finished install, whatever happened on the way:

    - the session file parses, loads, is ``done`` with every step done or skipped;
    - GKE holds exactly one cluster (ours, RUNNING), made by exactly one create operation;
    - the cluster holds each fixture object exactly once (managed by kfwizard), nothing
      else managed by kfwizard, and one ReplicaSet per Deployment;
    - the inventory lists exactly those objects and that cluster; the services it says
      the session enabled are enabled.
    """
    session = read_session(session_id)
    problems: list[str] = []
    if session["status"] != "done":
        problems.append(f"session status is {session['status']}")
    bad_steps = {
        k: v["state"] for k, v in session["steps"].items() if v["state"] not in ("done", "skipped")
    }
    if bad_steps or list(session["steps"]) != list(STEPS):
        problems.append(f"steps not all done: {bad_steps or list(session['steps'])}")

    clusters = list_clusters(emulator)
    if [(c.name, c.location, c.status.name) for c in clusters] != [(CLUSTER, LOCATION, "RUNNING")]:
        problems.append(f"GKE clusters: {[(c.name, c.location, c.status.name) for c in clusters]}")
    ops = (
        gke_client(emulator)
        .list_operations(parent=f"projects/{PROJECT}/locations/{LOCATION}")
        .operations
    )
    creates = [o for o in ops if o.operation_type.name == "CREATE_CLUSTER"]
    if len(creates) != 1:
        problems.append(f"{len(creates)} create-cluster operations (expected 1)")

    expected = expected_objects()
    api = kube_api(emulator, tmp)
    try:
        objects = cluster_objects(api, {(a, k) for a, k, _, _ in expected})
        if len(objects) != len(set(objects)):
            problems.append("an object is listed twice in the cluster")
        missing, extra = expected - set(objects), set(objects) - expected
        if missing or extra:
            problems.append(
                f"cluster objects differ: missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
            )
        objects_by_owner: dict[str, int] = {}
        from kubernetes import client as k8s

        for rs in k8s.AppsV1Api(api).list_namespaced_replica_set("kubeflow").items:
            for owner in rs.metadata.owner_references or []:
                objects_by_owner[owner.name] = objects_by_owner.get(owner.name, 0) + 1
        deployments = {n for _, k, _, n in expected if k == "Deployment"}
        doubled = {k: v for k, v in objects_by_owner.items() if v != 1}
        if doubled or set(objects_by_owner) != deployments:
            problems.append(f"ReplicaSets per Deployment: {objects_by_owner}")
    finally:
        api.close()

    inventory = session.get("inventory") or {}
    inv_objects = [
        (o["apiVersion"], o["kind"], o.get("namespace") or "", o["name"])
        for o in inventory.get("objects") or []
    ]
    if len(inv_objects) != len(set(inv_objects)) or set(inv_objects) != expected:
        problems.append(
            f"inventory objects differ from the cluster: {len(inv_objects)} listed, "
            f"missing {sorted(expected - set(inv_objects))[:5]}, "
            f"extra {sorted(set(inv_objects) - expected)[:5]}"
        )
    if sorted(inventory.get("services") or []) != list(CLUSTER_APIS):
        problems.append(
            f"inventory services: {inventory.get('services')} (expected {CLUSTER_APIS})"
        )
    if inventory.get("cluster") != {
        "project": PROJECT,
        "location": LOCATION,
        "name": CLUSTER,
        "created_by_session": True,
    }:
        problems.append(f"inventory cluster: {inventory.get('cluster')}")
    return EndState(session, clusters, objects, problems)


def assert_installed(emulator: Emulator, tmp: Path, session_id: str) -> EndState:
    """:func:`check_installed`, failing on any problem."""
    state = check_installed(emulator, tmp, session_id)
    assert not state.problems, "\n".join(state.problems)
    return state


def leftover_temp_files(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("*.tmp"))
