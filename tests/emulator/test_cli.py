"""``kfwizard emulator`` as a user runs it: a foreground process, stopped by a signal."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kfwizard.emulator.cli import main
from tests.emulator.conftest import fast_polling, gke_client, serviceusage_client

PROJECT = "kfw-cli-project"


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Run the command; wait for its ready file; return the process and its exports."""
    ready = tmp_path / "ready.env"
    process = subprocess.Popen(
        [sys.executable, "-m", "kfwizard.emulator.cli", "--ready-file", str(ready), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the emulators did not get ready in 30 s")
        time.sleep(0.05)
    exports = {}
    for line in ready.read_text().splitlines():
        words = shlex.split(line)
        assert words[0] == "export"
        key, value = words[1].split("=", 1)
        exports[key] = value
    return process, exports


def stop(process: subprocess.Popen[str], sig: int) -> tuple[int, str, str]:
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, out, err


def test_runs_in_the_foreground_until_ctrl_c(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    process, env = start(
        tmp_path,
        "--project",
        PROJECT,
        "--speed",
        "0",
        "--cluster",
        "kfp",
        "--state-dir",
        str(state_dir),
    )
    try:
        assert env["CLOUDSDK_CORE_PROJECT"] == PROJECT
        assert env["KUBECONFIG"] == str(state_dir / "kubeconfig")
        gke = gke_client(env["CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER"].rstrip("/"))
        clusters = gke.list_clusters(parent=f"projects/{PROJECT}/locations/-").clusters
        assert [(c.name, c.status.name) for c in clusters] == [("kfp", "RUNNING")]
        su = serviceusage_client(env["CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE"].rstrip("/"))
        service = su.get_service(
            request={"name": f"projects/{PROJECT}/services/container.googleapis.com"}
        )
        assert service.state.name == "ENABLED"
    finally:
        code, out, err = stop(process, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err
    assert "export CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER=" in out
    assert out.rstrip().endswith("Emulators running; Ctrl+C stops them.")
    assert (state_dir / "emulators.json").exists()


def test_a_killed_emulator_keeps_what_changed_until_a_second_before(tmp_path: Path) -> None:
    """A closed terminal or a kill skips the save at stop; the autosave has it already,
    so a demo session resumed later still finds the cluster it created."""
    import kubernetes.client
    import kubernetes.config

    from kfwizard.emulator.stack import EmulatorStack

    state_dir = tmp_path / "state"
    args = ["--project", PROJECT, "--speed", "0", "--cluster", "kfp", "--state-dir"]
    process, env = start(tmp_path, *args, str(state_dir))
    iap = f"projects/{PROJECT}/services/iap.googleapis.com"
    try:
        su = serviceusage_client(env["CLOUDSDK_API_ENDPOINT_OVERRIDES_SERVICEUSAGE"].rstrip("/"))
        su.enable_service(request={"name": iap}).result(polling=fast_polling())
        api = kubernetes.config.new_client_from_config(config_file=env["KUBECONFIG"])
        with api:
            kubernetes.client.CoreV1Api(api).create_namespaced_config_map(
                "default", {"metadata": {"name": "made-before-the-kill"}, "data": {"a": "1"}}
            )

        def saved(pattern: str) -> str:
            return "".join(path.read_text() for path in state_dir.glob(pattern))

        deadline = time.monotonic() + 15
        while not (
            "iap.googleapis.com" in saved("emulators.json")
            and "made-before-the-kill" in saved("clusters/*.json")
        ):
            assert time.monotonic() < deadline, "the running emulators never saved the change"
            time.sleep(0.05)
    finally:
        process.kill()
        process.communicate(timeout=20)
    assert process.returncode == -signal.SIGKILL

    with EmulatorStack(project=PROJECT, state_dir=state_dir) as stack:
        su = serviceusage_client(stack.serviceusage_url)  # the old port is gone
        assert su.get_service(request={"name": iap}).state.name == "ENABLED"
        api = kubernetes.config.new_client_from_config(config_file=str(stack.kubeconfig_path))
        with api:
            kept = kubernetes.client.CoreV1Api(api).read_namespaced_config_map(
                "made-before-the-kill", "default"
            )
        assert kept.data == {"a": "1"}


def test_sigterm_is_a_clean_stop(tmp_path: Path) -> None:
    process, env = start(tmp_path, "--speed", "0", "--fault", "zone-stockout", "--seed", "7")
    assert env["CLOUDSDK_CORE_PROJECT"] == "kfwizard-demo"
    code, _, err = stop(process, signal.SIGTERM)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--speed", "-1"], "--speed"),
        (["--speed", "fast"], "--speed"),
        (["--error-rate", "1.5"], "--error-rate"),
        (["--drop-rate", "-0.1"], "--drop-rate"),
        (["--fault", "meteor-strike"], "--fault"),
        (["--faults-file", "/nonexistent/faults.yaml"], "--faults-file"),
        (["--project", "Bad_Project"], "--project"),
        (["--cluster", "-nope"], "--cluster"),
        (["--seed", "x"], "--seed"),
    ],
)
def test_bad_flag_values_exit_2_naming_the_flag(
    argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        raise SystemExit(main(argv))
    assert info.value.code == 2
    assert flag in capsys.readouterr().err


def test_faults_file_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "faults.yaml"
    bad.write_text("no_such_fault: true\n")
    assert main(["--faults-file", str(bad)]) == 2
    assert "--faults-file" in capsys.readouterr().err


def test_help_lists_the_named_faults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "zone-stockout" in out and "10% of calls" in out
