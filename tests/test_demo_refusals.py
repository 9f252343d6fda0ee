"""``--demo`` refuses what it cannot do before its plan starts: a choice its built-in
manifests do not hold, a ``--manifests`` path that is not there, a pace that is not a
number. Each used to be found late (after the emulated cluster was made, or saved into
the session) or as a traceback with exit 1; now each is exit 2 naming what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.cli import main
from kfwizard.demo import (
    DEMO_SPEED,
    apply_demo_defaults,
    check_demo_choices,
    demo_manifests_path,
    demo_speed,
)
from kfwizard.engine.errors import BadInput
from kfwizard.session import SessionStore

CLUSTER = {"source": "create", "name": "kubeflow-testing", "location": "us-central1-a"}


def write(tmp_path: Path, **deployment: Any) -> Path:
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump({"cluster": CLUSTER, "deployment": deployment}))
    return path


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``argv``; it must exit 2 having started no session. Its stderr."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err and "session" not in captured.out.lower()
    assert SessionStore().list() == []
    return captured.err


# -- what the built-in manifests hold ----------------------------------------------------


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        pytest.param({"version": "1.8.5"}, "deployment.version", id="1.8.5"),
        pytest.param({"version": "2.3.0"}, "deployment.version", id="2.3.0"),
        pytest.param({"mode": "kubeflow"}, "deployment.mode", id="kubeflow"),
    ],
)
def test_a_choice_the_demo_manifests_cannot_install_is_refused_before_the_run(
    deployment: dict[str, str], field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, **deployment)
    err = refused(capsys, ["--demo", "run", "--answers", str(path), "--yes", "--speed", "0"])
    assert err.startswith(f"kfwizard: {field}: the demo's built-in manifests are KFP 2.17.0")
    assert "set deployment.manifests (or --manifests) to a local copy" in err


def test_an_env_the_demo_manifests_lack_names_the_envs_they_have() -> None:
    deployment = {"mode": "kfp-standalone", "version": "2.17.0", "env": "gcp"}
    with pytest.raises(BadInput) as caught:
        check_demo_choices({**deployment, "manifests": demo_manifests_path()})
    assert caught.value.field == "deployment.env"
    assert "dev, platform-agnostic only, not gcp" in caught.value.rule


@pytest.mark.parametrize("via", ["answers", "flag"])
def test_manifests_of_ones_own_lift_the_demos_limit(via: str, tmp_path: Path) -> None:
    """A local 1.8.5 tree is checked against the choice when the manifests step reads it."""
    deployment: dict[str, Any] = {"mode": "kfp-standalone", "version": "1.8.5", "env": "dev"}
    if via == "answers":
        deployment["manifests"] = str(tmp_path)
    selections = {"deployment": deployment}
    apply_demo_defaults(selections, manifests=str(tmp_path) if via == "flag" else None)
    assert selections["deployment"]["manifests"] == str(tmp_path)


def test_the_demos_own_choice_passes() -> None:
    selections: dict[str, Any] = {
        "deployment": {"mode": "kfp-standalone", "version": "2.17.0", "env": "platform-agnostic"}
    }
    apply_demo_defaults(selections)
    assert selections["deployment"]["manifests"] == demo_manifests_path()


# -- --manifests ---------------------------------------------------------------------------


def test_a_manifests_flag_that_is_not_there_is_refused_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused before APIs or a cluster, named as the flag (the answers file has no
    such key), and never saved: the same answers then run without it."""
    path = write(tmp_path, version="2.17.0")
    missing = str(tmp_path / "no-such-manifests")
    argv = ["run", "--answers", str(path), "--yes", "--speed", "0"]
    err = refused(capsys, ["--demo", "--manifests", missing, *argv])
    assert err.startswith(f"kfwizard: --manifests: does not exist: {missing}")
    assert "a.yaml" not in err and "deployment.manifests" not in err
    assert main(["--demo", *argv, "--until", "project"]) == 0


# -- the pace --------------------------------------------------------------------------


@pytest.mark.parametrize("speed", ["-5", "nan", "inf", "1e999"])
def test_a_bad_speed_flag_is_bad_input(
    speed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, version="2.17.0")
    err = refused(capsys, ["--demo", "run", "--answers", str(path), f"--speed={speed}"])
    assert err.startswith("kfwizard: --speed: must be a finite number of at least 0")


@pytest.mark.parametrize("value", ["fast", "nan", "-inf", "-1"])
def test_a_bad_speed_variable_is_bad_input(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KFWIZARD_DEMO_SPEED", value)
    path = write(tmp_path, version="2.17.0")
    err = refused(capsys, ["--demo", "run", "--answers", str(path)])
    assert err.startswith("kfwizard: KFWIZARD_DEMO_SPEED: must be a finite number of at least 0")


def test_the_flag_wins_over_the_variable_and_an_empty_variable_is_unset() -> None:
    assert demo_speed(0.5, {"KFWIZARD_DEMO_SPEED": "fast"}) == 0.5
    assert demo_speed(None, {"KFWIZARD_DEMO_SPEED": " "}) == DEMO_SPEED
    assert demo_speed(None, {"KFWIZARD_DEMO_SPEED": "2"}) == 2.0
    assert demo_speed(None, {}) == DEMO_SPEED
