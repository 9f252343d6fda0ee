"""The demo of the full platform, end to end: ``kfwizard --demo --manifests <Kubeflow
26.03> run --port-forward`` installs it on the emulators, then forwards the Istio
gateway (not ml-pipeline-ui), says so with the Dex login, and the forwarded URL leads
to that login and, past it, to the (emulated) central dashboard."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from tests.kube.kubeflow_front import Browser, form_action

ROOT = Path(__file__).resolve().parents[2]
READY = "(Ctrl+C stops the forward)"


def test_the_kubeflow_demo_forwards_the_gateway_and_its_dex_login(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    answers = tmp_path / "kubeflow.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "cluster": {
                    "source": "create",
                    "name": "kubeflow-testing",
                    "location": "us-central1-a",
                    "machine_type": "e2-standard-8",
                    "nodes": 4,
                },
                "deployment": {"mode": "kubeflow", "version": "26.03", "env": "gke"},
            }
        )
    )
    manifests = fixtures_dir / "kubeflow" / "26.03"
    command = [sys.executable, "-m", "kfwizard", "--demo", "--manifests", str(manifests)]
    command += ["run", "--answers", str(answers), "--speed", "0", "--yes", "--port-forward"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if READY in line:
                break
        said = seen[-1] if seen else ""
        assert READY in said, "".join(seen)[-3000:]
        found = re.search(r"http://127\.0\.0\.1:\d+", said)
        assert found is not None, said
        url = found.group(0)
        assert said.rstrip("\n") == (
            f"Kubeflow dashboard, through the Istio gateway: {url} (log in with Dex as "
            f"user@example.com, password 12341234 unless changed)  {READY}"
        )

        browser = Browser()
        at, _, page = browser.get(url)
        assert at.startswith(url + "/dex/auth/local/login?"), at
        at, status, page = browser.post(
            form_action(at, page), {"login": "user@example.com", "password": "12341234"}
        )
        assert (at, status) == (url + "/", 200)
        assert "Emulated by kfwizard --demo." in page
        assert '<b id="user">user@example.com</b>' in page
        _, _, page = browser.get(url + "/pipeline/")
        assert "<title>Kubeflow Pipelines</title>" in page

        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert "Closing the port-forward..." in err, err[-2000:]
        assert process.returncode in (0, 130), (process.returncode, err[-2000:])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
