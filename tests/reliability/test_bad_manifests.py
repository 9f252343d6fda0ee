"""Malformed manifests are refused through ``kfwizard run``, naming the file and the
document, before anything is applied.

Why: ``deployment.manifests`` points at a folder people render and edit themselves. A
broken document must stop the run at the manifests step with the file and document
index in the message, never half-apply an install. The parser's rules are tested in
tests/manifests/; here the whole command runs (in-process, against an emulated cluster
the answers adopt) and the cluster is checked to be untouched.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import harness

ENV_FILE = "env-platform-agnostic.yaml"
ENV_DOCS = len(re.findall(r"(?m)^---$", (harness.KFP_2170 / ENV_FILE).read_text())) + 1
"""Documents in the fixture's env file: an appended document is number ENV_DOCS + 1."""
NEXT = ENV_DOCS + 1


@pytest.fixture(scope="module")
def cluster_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One emulated project with a RUNNING cluster, shared by the module's tests (each
    test adopts it with ``cluster.source: existing``; none gets to apply anything)."""
    from kfwizard.emulator.stack import EmulatorStack

    if not harness.KFP_2170.is_dir():
        pytest.skip("shared fixtures not found")
    folder = tmp_path_factory.mktemp("bad-manifests-cloud")
    with EmulatorStack(
        speed=0.0,
        project=harness.PROJECT,
        clusters=(harness.CLUSTER,),
        kubeconfig_path=folder / "kubeconfig",
    ) as stack:
        yield stack


@pytest.fixture
def stack(cluster_stack: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in cluster_stack.env().items():
        monkeypatch.setenv(key, value)
    return cluster_stack


def manifests_folder(tmp: Path, env_text: str | bytes | None = None) -> Path:
    folder = tmp / "manifests"
    folder.mkdir()
    (folder / "cluster-scoped-resources.yaml").symlink_to(
        harness.KFP_2170 / "cluster-scoped-resources.yaml"
    )
    target = folder / ENV_FILE
    if isinstance(env_text, bytes):
        target.write_bytes(env_text)
    elif env_text is not None:
        target.write_text(env_text)
    return folder


def appended(document: str) -> str:
    return (harness.KFP_2170 / ENV_FILE).read_text().rstrip("\n") + "\n---\n" + document


def run_with(tmp: Path, folder: Path) -> tuple[int, str, str]:
    from kfwizard.cli import main

    data = harness.answers_data(manifests=str(folder))
    data["cluster"] = {"source": "existing", "name": harness.CLUSTER, "location": harness.LOCATION}
    answers = tmp / "answers.yaml"
    import yaml

    answers.write_text(yaml.safe_dump(data))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", "--answers", str(answers)])
    return code, out.getvalue(), err.getvalue()


FIRST_DOC = (harness.KFP_2170 / ENV_FILE).read_text().split("\n---\n", 1)[0] + "\n"

CASES = [
    pytest.param(
        appended("kind: ConfigMap\nmetadata: {name: x, namespace: kubeflow\ndata: [\n"),
        rf"{ENV_FILE}, document {NEXT}, line \d+: invalid YAML",
        id="invalid-yaml",
    ),
    pytest.param(
        appended("apiVersion: v1\nmetadata: {name: no-kind, namespace: kubeflow}\n"),
        rf"{ENV_FILE}, document {NEXT}: missing kind",
        id="no-kind",
    ),
    pytest.param(
        appended("kind: ConfigMap\nmetadata: {name: no-api-version, namespace: kubeflow}\n"),
        rf"{ENV_FILE}, document {NEXT}: missing apiVersion",
        id="no-apiversion",
    ),
    pytest.param(
        appended("apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: kubeflow}\n"),
        rf"{ENV_FILE}, document {NEXT}: missing metadata.name",
        id="no-name",
    ),
    pytest.param(
        appended("apiVersion: v1\nkind: ConfigMap\n"),
        rf"{ENV_FILE}, document {NEXT}: missing metadata",
        id="no-metadata",
    ),
    pytest.param(
        appended("- a list\n- not an object\n"),
        rf"{ENV_FILE}, document {NEXT}: document is not a mapping",
        id="a-list",
    ),
    pytest.param(
        appended(FIRST_DOC),
        rf"{ENV_FILE}, document {NEXT}: duplicate object ServiceAccount kubeflow/argo "
        rf"\(already in \S*{ENV_FILE}, document 1\)",
        id="duplicate",
    ),
    pytest.param(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n",
        rf"{ENV_FILE}: not UTF-8 text",
        id="not-utf8",
    ),
    pytest.param(
        None,
        rf"{ENV_FILE}: file is 52,428,801 bytes, over the 52,428,800-byte limit",
        id="over-50MB",
    ),
]


@pytest.mark.parametrize(("env_text", "message"), CASES)
def test_malformed_manifests_are_refused_naming_file_and_document(
    env_text: str | bytes | None, message: str, tmp_path: Path, stack: Any
) -> None:
    folder = manifests_folder(tmp_path, env_text)
    if env_text is None:  # 50 MiB + 1 byte, sparse: refused by size, never read
        with (folder / ENV_FILE).open("wb") as handle:
            handle.truncate(50 * 1024 * 1024 + 1)

    code, out, err = run_with(tmp_path, folder)
    assert code == 1, out + err
    assert re.search(rf"==> failed at manifests: .*{message}", out), out[-3000:]
    assert "Traceback" not in out + err
    assert str(folder) in out, "the message names the file by its path"

    session_id = re.search(r"New session (\S+)\.", out).group(1)  # type: ignore[union-attr]
    session = harness.read_session(session_id)
    assert session["steps"]["manifests"]["state"] == "failed"
    assert re.search(message, session["steps"]["manifests"]["cause"])
    assert not (session.get("inventory") or {}).get("objects"), "something was applied"
    _assert_nothing_installed(stack, tmp_path)


def _assert_nothing_installed(stack: Any, tmp: Path) -> None:
    from kubernetes import client as k8s

    api = harness.kube_api(stack, tmp)
    try:
        names = {n.metadata.name for n in k8s.CoreV1Api(api).list_namespace().items}
    finally:
        api.close()
    assert "kubeflow" not in names
