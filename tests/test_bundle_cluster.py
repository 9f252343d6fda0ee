"""`kfwizard bundle` when the cluster is broken, which is when bundles are made.

The bundle is written whatever the cluster's API does: refuse connections, drop them
(a full backlog), take them and never answer, answer the first request and then
nothing. It says in one line why its cluster part is missing, instead of raw urllib3
errors and an empty diagnoses file that reads as "nothing wrong". A cluster the
session knows is gone is not dialled at all. Also: ``--fault`` on a demo session, and
the versions that made the bundle.
"""

from __future__ import annotations

import contextlib
import json
import socket
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.bundle import CLUSTER_DEADLINE
from kfwizard.cli import main
from kfwizard.session import Session, SessionStore

ROOT = Path(__file__).resolve().parents[1]
MARGIN = 30.0
"""Seconds over the cluster deadline that still prove the command did not hang."""


def _members(bundle: Path) -> dict[str, str]:
    with tarfile.open(bundle) as tar:
        return {
            m.name.split("/", 1)[1]: tar.extractfile(m).read().decode()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def _kubeconfig_session(tmp_path: Path, port: int, name: str = "far") -> Session:
    """A session connected, through a kubeconfig context, to 127.0.0.1:``port``."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": name, "user": {"token": "kfw-test-token"}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
            }
        )
    )
    session = Session.new(name=name)
    session.outputs["connect"] = {
        "source": "kubeconfig",
        "kubeconfig": str(kubeconfig),
        "context": name,
    }
    SessionStore().save(session)
    return session


@contextlib.contextmanager
def _refusing() -> Iterator[int]:
    """A loopback port nothing listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port


@contextlib.contextmanager
def _full_backlog() -> Iterator[int]:
    """A listening socket that never accepts, its backlog filled: new connections get
    no answer at all (their SYNs are dropped), as from a host that went away."""
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(socket.socket())
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        for _ in range(4):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        time.sleep(0.2)
        yield port


@contextlib.contextmanager
def _silent() -> Iterator[int]:
    """A socket that takes every connection and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []

    def take() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(server.accept()[0])

    threading.Thread(target=take, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        for conn in held:
            conn.close()


@contextlib.contextmanager
def _answers_version_only(stop: threading.Event) -> Iterator[int]:
    """An API that answers ``/version`` and then nothing: every other request waits
    until the test ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/version":
                body = json.dumps(
                    {
                        "major": "1",
                        "minor": "34",
                        "gitVersion": "v1.34.1",
                        "gitCommit": "0" * 40,
                        "gitTreeState": "clean",
                        "buildDate": "2026-01-01T00:00:00Z",
                        "goVersion": "go1.24",
                        "compiler": "gc",
                        "platform": "linux/amd64",
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())
                return
            stop.wait(120)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


UNREACHABLE: dict[str, tuple[Callable[[], Any], str]] = {
    "refused": (_refusing, "connection refused by 127.0.0.1:{port}"),
    "full backlog": (_full_backlog, "127.0.0.1:{port} did not take the connection within 5 s"),
    "silent": (_silent, "127.0.0.1:{port} took the connection but did not answer"),
}


@pytest.mark.parametrize("kind", list(UNREACHABLE))
def test_a_bundle_is_written_when_the_cluster_does_not_answer_and_says_why(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, cause = UNREACHABLE[kind]
    with endpoint() as port:
        session = _kubeconfig_session(tmp_path, port)
        bundle = tmp_path / "bundle.tar.gz"
        started = time.monotonic()
        code = main(["bundle", "--session", session.id, "--output", str(bundle)])
        took = time.monotonic() - started
    assert code == 0
    assert took < CLUSTER_DEADLINE + MARGIN, f"took {took:.0f} s"
    line = f"cluster not reachable: {cause.format(port=port)}"
    out = capsys.readouterr().out
    assert f"Support bundle written to {bundle}" in out
    assert f"C{line[1:]}.\nThe bundle has the session and its logs only.\n" in out
    files = _members(bundle)
    assert f"cluster: {line.removeprefix('cluster ')}\n" in files["README.txt"]
    assert files["collection-problems.txt"] == line + "\n"
    [diagnosis] = json.loads(files["diagnoses.json"])
    assert diagnosis["problem"] == "not reachable"
    assert diagnosis["subject"] == "Cluster far"
    assert "session.json" in files
    for name, text in files.items():
        for raw in ("MaxRetryError", "NewConnectionError", "Traceback", "HTTPConnection("):
            assert raw not in text, f"{raw} in {name}"


def test_a_cluster_that_stops_answering_is_read_until_the_deadline_then_written(
    tmp_path: Path,
) -> None:
    """What was read before the deadline (the server version) is in the bundle."""
    from kfwizard.bundle import write_bundle

    stop = threading.Event()
    with _answers_version_only(stop) as port:
        session = _kubeconfig_session(tmp_path, port)
        started = time.monotonic()
        written = write_bundle(session, tmp_path / "b.tar.gz", deadline=2.0)
        took = time.monotonic() - started
    assert took < 2.0 + MARGIN, f"took {took:.0f} s"
    line = (
        "cluster not reachable: it did not answer everything within 2 s; what it sent "
        "before is in the bundle"
    )
    assert written.cluster == line
    files = _members(written.path)
    assert json.loads(files["cluster/version.json"])["git_version"] == "v1.34.1"
    assert f"cluster: {line.removeprefix('cluster ')}" in files["README.txt"]
    assert json.loads(files["diagnoses.json"])[0]["problem"] == "not reachable"


def _gke_session(gone: str, endpoint: str) -> Session:
    session = Session.new(name="gone", demo=True)
    session.outputs["cluster"] = {
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "endpoint": endpoint,
        "status": "RUNNING",
    }
    session.outputs["connect"] = {"source": "gke", "endpoint": endpoint}
    cluster = {"project": "kfwizard-demo", "location": "us-central1-a", "name": "kubeflow-testing"}
    if gone == "deleted by the teardown":
        session.inventory["cluster"] = {**cluster, "created_by_session": True, "deleted": True}
    else:
        session.inventory["cluster"] = {**cluster, "created_by_session": True}
        session.outputs["find-cluster"] = {"gone": True}
    SessionStore().save(session)
    return session


@pytest.mark.parametrize(
    ("gone", "said"),
    [
        ("deleted by the teardown", "the session's teardown deleted cluster kubeflow-testing"),
        (
            "found gone by the teardown",
            "cluster kubeflow-testing no longer exists (its teardown found that GKE no "
            "longer lists it)",
        ),
    ],
)
def test_a_cluster_the_session_knows_is_gone_is_not_dialled(
    gone: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _silent() as port, socket.socket() as probe:
        session = _gke_session(gone, f"127.0.0.1:{port}")
        bundle = tmp_path / "bundle.tar.gz"
        assert main(["bundle", "--session", session.id, "--output", str(bundle)]) == 0
        # The silent endpoint still takes connections: the bundle made none to it.
        probe.settimeout(5)
        probe.connect(("127.0.0.1", port))
    files = _members(bundle)
    assert f"cluster: not read: {said}\n" in files["README.txt"]
    [diagnosis] = json.loads(files["diagnoses.json"])
    assert (diagnosis["problem"], diagnosis["severity"]) == ("not read", "info")
    saved = json.loads(files["cluster/session-cluster.json"])
    assert saved["note"] == f"what the Cluster step saved; now: cluster not read: {said}"
    assert "cluster/version.json" not in files
    assert f"Cluster not read: {said}." in capsys.readouterr().out


def _demo_session(capsys: pytest.CaptureFixture[str]) -> str:
    answers = ROOT / "examples" / "demo.yaml"
    assert main(["run", "--demo", "--answers", str(answers), "--speed", "0"]) == 0
    capsys.readouterr()
    return SessionStore().list()[0].id


def test_a_demo_cluster_deleted_behind_the_sessions_back_is_named_as_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The session does not know: its endpoint refuses, and GKE, asked why, no longer
    lists the cluster. The bundle says both, at once (it dialled for 80 s before)."""
    from kfwizard.demo import start_demo
    from kfwizard.gcp import clusters, endpoints

    session_id = _demo_session(capsys)
    endpoint = SessionStore().load(session_id).outputs["cluster"]["endpoint"]
    handle = start_demo(speed=0)
    try:
        client = endpoints.cluster_manager(handle.env)
        clusters.delete_cluster(client, "kfwizard-demo", "us-central1-a", "kubeflow-testing")
        for _ in range(200):
            if not clusters.get_cluster(
                client, "kfwizard-demo", "us-central1-a", "kubeflow-testing"
            ):
                break
            time.sleep(0.05)
    finally:
        handle.stop()
    bundle = tmp_path / "b.tar.gz"
    started = time.monotonic()
    assert main(["bundle", "--session", session_id, "--output", str(bundle)]) == 0
    assert time.monotonic() - started < CLUSTER_DEADLINE + MARGIN
    line = (
        f"cluster not reachable: connection refused by {endpoint}; GKE no longer lists "
        "cluster kubeflow-testing: it was deleted"
    )
    files = _members(bundle)
    assert files["collection-problems.txt"] == line + "\n"
    assert json.loads(files["diagnoses.json"])[0]["cause"] == line[:1].upper() + line[1:] + "."
    saved = json.loads(files["cluster/session-cluster.json"])
    assert saved["note"] == f"what the Cluster step saved; now: {line}"


def test_a_demo_cluster_whose_api_moved_is_read_at_its_new_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another program took the demo cluster's port, so its API came back on another:
    the bundle asks GKE where it is and reads it there."""
    from tests.e2e.conftest import port_taken

    session_id = _demo_session(capsys)
    endpoint = SessionStore().load(session_id).outputs["cluster"]["endpoint"]
    bundle = tmp_path / "b.tar.gz"
    with port_taken(endpoint):
        assert main(["bundle", "--session", session_id, "--output", str(bundle)]) == 0
    files = _members(bundle)
    assert "cluster: read\n" in files["README.txt"]
    assert "cluster/kubeflow/pods.json" in files
    [moved] = files["collection-problems.txt"].splitlines()
    assert moved.startswith("cluster: not at its saved address; GKE gives its API at 127.0.0.1:")
    assert endpoint not in moved
