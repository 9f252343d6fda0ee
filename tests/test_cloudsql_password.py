"""kfp-gcp's Cloud SQL password, headless: asked at apply time (here: read from
KFWIZARD_CLOUDSQL_PASSWORD, since a test has no terminal), written only into Secret
kubeflow/mysql-secret, and never into the session, its log or the rendered files.
With neither a terminal nor the variable, the run is refused before it creates
anything: the apply used to go ahead with an empty password."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kfwizard import paths
from kfwizard.cli import main
from kfwizard.emulator.stack import EmulatorStack
from kfwizard.manifests.secret_inputs import CLOUDSQL_PASSWORD_ENV
from kfwizard.session import SessionStore
from tests.conftest import FIXTURES, emulators_as_google

PROJECT = "kfw-cloudsql-project"
PASSWORD = "s3cret-Zebra-91"


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[EmulatorStack]:
    """The emulators as real GCP, with a cluster to install on (``existing1``)."""
    monkeypatch.delenv(CLOUDSQL_PASSWORD_ENV, raising=False)
    with emulators_as_google(monkeypatch, tmp_path, PROJECT, "1.8.5") as emulators:
        yield emulators


def kfp_gcp_answers(tmp_path: Path, project: str = PROJECT) -> Path:
    """An answers file for a kfp-gcp 1.8.5 install on ``existing1`` (the apply step
    asks for the Cloud SQL password)."""
    data = {
        "name": "sql",
        "project": project,
        "cluster": {"source": "existing", "name": "existing1", "location": "us-central1-a"},
        "deployment": {
            "mode": "kfp-gcp",
            "version": "1.8.5",
            "manifests": str(FIXTURES / "kfp" / "1.8.5"),
            "gcp": {
                "bucket": "my-kfp-artifacts",
                "cloudsql_instance": f"{project}:us-central1:kfp-sql",
            },
        },
    }
    path = tmp_path / "sql.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_no_terminal_and_no_variable_is_refused_before_anything_runs(
    cloud: EmulatorStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--answers", str(kfp_gcp_answers(tmp_path)), "--until", "install"]) == 2
    err = capsys.readouterr().err
    assert f"{CLOUDSQL_PASSWORD_ENV}: kfp-gcp needs the Cloud SQL password" in err, err
    assert f"set {CLOUDSQL_PASSWORD_ENV} (or run at a terminal)" in err
    sessions = SessionStore().list()
    assert all(not s.steps for s in sessions), "nothing ran"


def test_the_password_reaches_the_secret_and_nothing_else(
    cloud: EmulatorStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(CLOUDSQL_PASSWORD_ENV, PASSWORD)
    code = main(["run", "--answers", str(kfp_gcp_answers(tmp_path)), "--until", "install"])
    out = capsys.readouterr().out
    assert "Cloud SQL password for user root: given; written only into Secret" in out
    secret = cloud.cluster("existing1").store.get("v1", "Secret", "kubeflow", "mysql-secret")
    assert secret is not None, out[-3000:]
    data = secret.get("data") or {}
    assert base64.b64decode(data["password"]).decode() == PASSWORD, secret
    assert base64.b64decode(data["username"]).decode() == "root"
    # Never written anywhere of ours: output, session, log, rendered manifests.
    assert PASSWORD not in out
    (session,) = SessionStore().list()
    written = [p for p in paths.state_dir().rglob("*") if p.is_file()]
    written += [p for p in paths.cache_dir().rglob("*") if p.is_file()]
    assert written and not [p for p in written if PASSWORD.encode() in p.read_bytes()]
    assert session.steps["apply"].state == "done", (code, out[-3000:])


def test_a_run_whose_apply_is_done_needs_no_password(
    cloud: EmulatorStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Re-verifying an install (CI, say) was refused for want of a password it would
    never use: the apply step was done."""
    answers = str(kfp_gcp_answers(tmp_path))
    monkeypatch.setenv(CLOUDSQL_PASSWORD_ENV, PASSWORD)
    assert main(["run", "--answers", answers, "--until", "install"]) == 0
    monkeypatch.delenv(CLOUDSQL_PASSWORD_ENV)
    capsys.readouterr()
    code = main(["run", "--answers", answers, "--until", "install"])
    captured = capsys.readouterr()
    assert code == 0, captured.err + captured.out[-2000:]
    assert CLOUDSQL_PASSWORD_ENV not in captured.err
