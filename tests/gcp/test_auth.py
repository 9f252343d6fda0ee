"""Project detection from real gcloud configuration files, and credential loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kfwizard.engine.errors import StepFailed
from kfwizard.gcp import auth


def write_config(root: Path, name: str, body: str, active: str | None = None) -> None:
    (root / "configurations").mkdir(parents=True, exist_ok=True)
    (root / "configurations" / f"config_{name}").write_text(body, encoding="utf-8")
    if active is not None:
        (root / "active_config").write_text(active + "\n", encoding="utf-8")


@pytest.fixture
def gcloud_dir(tmp_path: Path) -> Path:
    return tmp_path / "gcloud-config"


def base_env(gcloud_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "CLOUDSDK_CONFIG": str(gcloud_dir),
        "HOME": str(gcloud_dir.parent),
        "NO_GCE_CHECK": "true",
    }
    env.update(extra)
    return env


def test_environment_variable_wins(gcloud_dir: Path) -> None:
    write_config(gcloud_dir, "default", "[core]\nproject = from-config\n", active="default")
    found = auth.detect_project(base_env(gcloud_dir, CLOUDSDK_CORE_PROJECT="from-env"))
    assert found == auth.DetectedProject("from-env", "CLOUDSDK_CORE_PROJECT", None)


def test_active_configuration_file(gcloud_dir: Path) -> None:
    write_config(gcloud_dir, "default", "[core]\nproject = not-me\n")
    write_config(
        gcloud_dir,
        "work",
        "[core]\naccount = me@example.com\nproject = work-project\n",
        active="work",
    )
    found = auth.detect_project(base_env(gcloud_dir))
    assert found.project == "work-project"
    assert found.source == "gcloud configuration 'work'"
    assert found.account == "me@example.com"


def test_active_config_name_from_environment(gcloud_dir: Path) -> None:
    write_config(gcloud_dir, "default", "[core]\nproject = default-project\n", active="default")
    write_config(gcloud_dir, "other", "[core]\nproject = other-project\n")
    env = base_env(gcloud_dir, CLOUDSDK_ACTIVE_CONFIG_NAME="other")
    assert auth.detect_project(env).project == "other-project"


def test_default_configuration_without_active_file(gcloud_dir: Path) -> None:
    write_config(gcloud_dir, "default", "[core]\nproject = lonely-project\n")
    assert auth.detect_project(base_env(gcloud_dir)).project == "lonely-project"


def test_config_dir_defaults_to_home(tmp_path: Path) -> None:
    root = tmp_path / ".config" / "gcloud"
    write_config(root, "default", "[core]\nproject = home-project\n", active="default")
    env = {"HOME": str(tmp_path), "NO_GCE_CHECK": "true"}
    assert auth.detect_project(env).project == "home-project"


def test_adc_file_project(gcloud_dir: Path) -> None:
    gcloud_dir.mkdir(parents=True)
    (gcloud_dir / "application_default_credentials.json").write_text(
        json.dumps({"type": "authorized_user", "quota_project_id": "adc-project"}), encoding="utf-8"
    )
    found = auth.detect_project(base_env(gcloud_dir))
    assert found.project == "adc-project"
    assert found.source == "application default credentials"


def test_service_account_key_project_and_account(tmp_path: Path, gcloud_dir: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {"type": "service_account", "project_id": "sa-project", "client_email": "sa@x.iam"}
        ),
        encoding="utf-8",
    )
    found = auth.detect_project(base_env(gcloud_dir, GOOGLE_APPLICATION_CREDENTIALS=str(key)))
    assert (found.project, found.account) == ("sa-project", "sa@x.iam")


def test_nothing_found(gcloud_dir: Path) -> None:
    found = auth.detect_project(base_env(gcloud_dir, CLOUDSDK_AUTH_DISABLE_CREDENTIALS="true"))
    assert found == auth.DetectedProject(None, "none", None)


def test_broken_config_file_is_ignored(gcloud_dir: Path) -> None:
    write_config(gcloud_dir, "default", "this is [not an ini\n= file", active="default")
    assert auth.detect_project(base_env(gcloud_dir)).project is None


def test_anonymous_credentials() -> None:
    creds = auth.load_credentials({"CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true"})
    assert auth.is_anonymous(creds)
    assert auth.bearer_token(creds) is None


def test_missing_adc_names_the_login_command(gcloud_dir: Path, tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    gcloud = tools / "gcloud"
    gcloud.write_text("#!/bin/sh\n", encoding="utf-8")
    gcloud.chmod(0o755)
    with pytest.raises(StepFailed) as err:
        auth.load_credentials(base_env(gcloud_dir, PATH=str(tools)))
    assert err.value.cause.startswith("No Google credentials found")
    assert err.value.action == 'run "gcloud auth application-default login"'


def test_without_gcloud_the_login_step_starts_with_installing_it(
    gcloud_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(StepFailed) as err:
        auth.load_credentials(base_env(gcloud_dir, PATH=str(tmp_path / "no-tools-here")))
    assert err.value.action == (
        "install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then run "
        '"gcloud auth application-default login"; to try kfwizard without an account '
        'meanwhile, run "kfwizard --demo"'
    )


def test_adc_from_file(gcloud_dir: Path) -> None:
    gcloud_dir.mkdir(parents=True)
    (gcloud_dir / "application_default_credentials.json").write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "id.apps.googleusercontent.com",
                "client_secret": "not-a-secret",
                "refresh_token": "refresh",
            }
        ),
        encoding="utf-8",
    )
    creds = auth.load_credentials(base_env(gcloud_dir))
    assert not auth.is_anonymous(creds)


def test_broken_adc_file(gcloud_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(StepFailed) as err:
        auth.load_credentials(base_env(gcloud_dir, GOOGLE_APPLICATION_CREDENTIALS=str(bad)))
    assert "No Google credentials found" in err.value.cause
    assert str(bad) in err.value.cause
    missing = tmp_path / "missing.json"
    with pytest.raises(StepFailed) as err:
        auth.load_credentials(base_env(gcloud_dir, GOOGLE_APPLICATION_CREDENTIALS=str(missing)))
    assert "does not exist" in err.value.cause
