"""Issue acceptance for Verify, teardown and the support bundle, headless."""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kfwizard.cli import main
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.session import SessionStore
from tests.e2e.conftest import port_taken


def _install(write_answers: Callable[..., Path], fixtures_dir: Path) -> str:
    answers = write_answers(manifests=str(fixtures_dir / "kfp" / "2.17.0"))
    assert main(["run", "--answers", str(answers)]) == 0
    return SessionStore().list()[0].id


def test_verify_reports_the_version_and_sdk_line(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_id = _install(write_answers, fixtures_dir)
    capsys.readouterr()
    assert main(["run", "--session", session_id]) == 0
    out = capsys.readouterr().out
    assert "2.17.0" in out and 'pip install "kfp==2.17.0"' in out
    verify = SessionStore().load(session_id).outputs["verify"]
    assert verify["api"]["tag_name"] == "2.17.0"


def test_crash_looping_api_server_is_named_with_its_last_log_lines(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_id = _install(write_answers, fixtures_dir)
    stack.faults.update(crashloop=("ml-pipeline",))
    capsys.readouterr()
    code = main(["run", "--session", session_id])
    out = capsys.readouterr().out
    assert code == 1, out[-3000:]
    failed = [line for line in out.splitlines() if "==> failed at" in line]
    assert failed and "ml-pipeline" in failed[0]
    assert "CrashLoopBackOff" in out or "crash" in out.lower()
    assert "3306" in out or "MySQL" in out  # its last log lines say why it crashes


def test_teardown_removes_the_inventory_and_the_cluster_and_is_idempotent(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session_id = _install(write_answers, fixtures_dir)
    session = SessionStore().load(session_id)
    objects = session.inventory["objects"]
    assert len(objects) > 50
    cluster = stack.cluster("kubeflow-testing")
    capsys.readouterr()
    assert main(["teardown", "--session", session_id, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Data in these volumes will be lost" in out and "mysql-pv-claim" in out
    for ref in objects:
        found = cluster.store.get(ref["apiVersion"], ref["kind"], ref.get("namespace"), ref["name"])
        assert found is None, ref
    # The cluster stays unless asked; then it goes, and a second teardown is a no-op.
    assert main(["teardown", "--session", session_id, "--delete-cluster", "--yes"]) == 0
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import container_v1

    client = container_v1.ClusterManagerClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=stack.gke_url),
    )
    assert list(client.list_clusters(parent=f"projects/{stack.project}/locations/-").clusters) == []
    capsys.readouterr()
    assert main(["teardown", "--session", session_id, "--delete-cluster", "--yes"]) == 0
    assert SessionStore().load(session_id).status == "removed"
    again = capsys.readouterr().out  # gone already: not listed as "will delete"
    assert "Torn down already" in again and "Teardown will delete" not in again
    assert "was deleted by an earlier teardown" in again
    assert "will be lost" not in again
    # Running it again says what that means before anything happens.
    capsys.readouterr()
    assert main(["run", "--session", session_id, "--until", "project"]) == 0
    said = capsys.readouterr().out
    assert "It was torn down; this run stops after Project and installs nothing yet." in said
    assert main(["sessions", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["step"] == "Cluster", "not Verify: the install and its cluster are gone"
    # The cluster created again is a new cluster: the preflight checks it again rather
    # than counting the checks made on the deleted one.
    assert main(["run", "--session", session_id, "--until", "install", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "[preflight] done (already done)" not in out
    assert SessionStore().load(session_id).steps["preflight"].state == "done"
    assert "server-version" in out, out[-2000:]


def test_teardown_without_yes_and_without_a_terminal_is_refused(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    session_id = _install(write_answers, fixtures_dir)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["teardown", "--session", session_id]) == 2
    assert capsys.readouterr().err.endswith(
        "--yes: is required to tear down without a terminal to confirm on. "
        "Next: read the list above, then add --yes and run again\n"
    )


def test_support_bundle_has_the_evidence_and_no_secrets(
    stack: EmulatorStack,
    write_answers: Callable[..., Path],
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from kfwizard.engine.logfile import SessionLog
    from kfwizard.engine.redact import register_secret

    session_id = _install(write_answers, fixtures_dir)
    planted_password = "s3cr3t-Planted-DB-pass"
    planted_token = "ya29.PlantedBearerTokenValue0123456789"
    register_secret(planted_password)
    log = SessionLog(session_id)
    log.write(
        "test",
        (f"connecting with password={planted_password}", f"Authorization: Bearer {planted_token}"),
    )
    log.close()
    target = tmp_path / "bundle.tar.gz"
    assert main(["bundle", "--session", session_id, "--output", str(target)]) == 0
    with tarfile.open(target) as tar:
        names = tar.getnames()
        blobs = {
            name: tar.extractfile(name).read().decode() for name in names if tar.extractfile(name)
        }
    assert any(name.endswith("session.json") for name in names)
    assert any("/logs/" in name for name in names)
    assert any(name.endswith("kubeflow/deployments.json") for name in names)
    assert any(name.endswith("kubeflow/events.json") for name in names)
    assert any(name.endswith("diagnoses.json") for name in names)
    for name, text in blobs.items():
        assert planted_password not in text, name
        assert planted_token not in text, name
        assert "minio123" not in text, name  # Secret values are never collected
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def _demo_install(capsys: pytest.CaptureFixture[str]) -> str:
    import re

    answers = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"
    assert main(["run", "--demo", "--answers", str(answers), "--speed", "0"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"New session (\S+)\.", out)
    assert found, out
    return found.group(1)


def test_teardown_of_a_demo_session_reads_the_moved_endpoint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every `--demo` run starts the emulators afresh. With the cluster's old port taken
    by another program, its API comes back on a new one: the teardown asks GKE where it
    is now instead of dialling the address the install saved, and removes everything."""
    from kfwizard.demo import start_demo

    session_id = _demo_install(capsys)
    session = SessionStore().load(session_id)
    old = session.outputs["cluster"]["endpoint"]
    objects = session.inventory["objects"]
    assert objects

    with port_taken(old):
        assert main(["teardown", "--session", session_id, "--yes"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert f"its endpoint changed from {old} to " in out
    assert "teardown complete" in out
    session = SessionStore().load(session_id)
    assert session.steps["find-cluster"].state == "done"
    assert session.steps["uninstall"].state == "done"
    assert session.outputs["cluster"]["endpoint"] != old
    removed = session.outputs["uninstall"]
    assert removed["deleted"] + removed["already_gone"] == len(objects)

    handle = start_demo(speed=0)  # the same demo state
    try:
        cluster = handle.stack.cluster("kubeflow-testing")
        for ref in objects:
            found = cluster.store.get(
                ref["apiVersion"], ref["kind"], ref.get("namespace"), ref["name"]
            )
            assert found is None, ref
    finally:
        handle.stop()
    # Again (the emulators move once more): nothing to do, and the cluster goes on request.
    assert main(["teardown", "--session", session_id, "--delete-cluster", "--yes"]) == 0
    assert SessionStore().load(session_id).inventory["cluster"]["deleted"] is True


def test_teardown_of_a_demo_session_whose_cluster_is_gone_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A cluster deleted behind kfwizard's back took its objects with it: the teardown
    finds nothing to dial, says so plainly and succeeds."""
    from kfwizard.demo import start_demo
    from kfwizard.gcp import clusters, endpoints

    session_id = _demo_install(capsys)
    handle = start_demo(speed=0)
    try:
        client = endpoints.cluster_manager(handle.env)
        clusters.delete_cluster(client, "kfwizard-demo", "us-central1-a", "kubeflow-testing")
        for _ in range(100):
            if (
                clusters.get_cluster(client, "kfwizard-demo", "us-central1-a", "kubeflow-testing")
                is None
            ):
                break
            time.sleep(0.05)
    finally:
        handle.stop()

    assert main(["teardown", "--session", session_id, "--yes"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "Cluster kubeflow-testing no longer exists" in out
    assert "went with the cluster, which no longer exists" in out
    session = SessionStore().load(session_id)
    assert session.outputs["find-cluster"] == {"gone": True}
    assert session.status == "removed"
