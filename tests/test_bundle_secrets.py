"""Support bundles hold no secret, whatever its name or shape, and stay readable.

A demo install, then Pods and an Event made with the official client in the demo's
cluster, holding secrets the way real workloads do: env vars named ``*_API_KEY``,
``MYSQL_PWD``, ``DB_PASS``, ``HF_TOKEN``, ``*_SECRET*``; a password inside a URL; a PEM
private key; ``--api-key=…`` and ``--password …`` args; JSON with a ``"password"`` in an
event message; and the ``last-applied-configuration`` annotation ``kubectl apply``
leaves, which repeats all of that in one JSON string. Then the real ``kfwizard bundle``,
and a search of every file in it.
"""

from __future__ import annotations

import base64
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from kfwizard.cli import main
from kfwizard.session import SessionStore

ROOT = Path(__file__).resolve().parents[1]

OPENAI_KEY = "sk-proj-Kfw0penAiKey7c1d9e2f4a6b8"
MYSQL_PWD = "kfwMyPwd-5e1c"
DB_URL_PASSWORD = "Hunter2Pass-kfw"
DB_PASS = "kfwDbPass-77a0"
ARG_API_KEY = "kfwArgApiKey-3b9f2d"
ARG_PASSWORD = "kfwArgPassw0rd!"
ROOT_PASSWORD = "kfwRootPass-555e"
HF_TOKEN = "hf_KfwHuggingFaceToken1234567"
MY_SECRET = "kfwSecretThing-4242"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7kfw"
EVENT_PASSWORD = "kfwEventPassw0rd"
PLANTED = {
    "OPENAI_API_KEY": OPENAI_KEY,
    "MYSQL_PWD": MYSQL_PWD,
    "password in DATABASE_URL": DB_URL_PASSWORD,
    "DB_PASS": DB_PASS,
    "--api-key=": ARG_API_KEY,
    "--password": ARG_PASSWORD,
    "MYSQL_ROOT_PASSWORD": ROOT_PASSWORD,
    "HF_TOKEN": HF_TOKEN,
    "MY_SECRET_THING": MY_SECRET,
    "PEM private key": PEM_BODY,
    "password in an event's JSON": EVENT_PASSWORD,
}


def _pod(name: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "kubeflow"},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "python:3.11",
                    "args": args,
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                }
            ]
        },
    }
    # What `kubectl apply` leaves on every object it applies: the object as sent.
    body["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(body) + "\n"
    }
    return body


def _demo_session_with_leaky_workloads(capsys: pytest.CaptureFixture[str]) -> str:
    from kfwizard.demo import start_demo
    from kfwizard.kube.client import clients_for_session

    answers = ROOT / "examples" / "demo.yaml"
    assert main(["run", "--demo", "--answers", str(answers), "--speed", "0"]) == 0
    capsys.readouterr()
    [session] = SessionStore().list()
    handle = start_demo(speed=0)
    try:
        clients = clients_for_session(session, handle.env)
        try:
            pem = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n"
            clients.core.create_namespaced_pod(
                "kubeflow",
                _pod(
                    "leaky-one",
                    [f"--api-key={ARG_API_KEY}", "--password", ARG_PASSWORD, "--verbose"],
                    {
                        "OPENAI_API_KEY": OPENAI_KEY,
                        "MYSQL_PWD": MYSQL_PWD,
                        "DATABASE_URL": f"postgresql://kfp:{DB_URL_PASSWORD}@db/kfp",
                        "DB_PASS": DB_PASS,
                        "TLS_PRIVATE": pem,
                        "LOG_LEVEL": "debug",
                        "MYSQL_ALLOW_EMPTY_PASSWORD": "yes",
                    },
                ),
            )
            clients.core.create_namespaced_pod(
                "kubeflow",
                _pod(
                    "leaky-two",
                    ["serve"],
                    {
                        "MYSQL_ROOT_PASSWORD": ROOT_PASSWORD,
                        "HF_TOKEN": HF_TOKEN,
                        "MY_SECRET_THING": MY_SECRET,
                    },
                ),
            )
            clients.core.create_namespaced_event(
                "kubeflow",
                {
                    "metadata": {"name": "leaky-one.config", "namespace": "kubeflow"},
                    "involvedObject": {"kind": "Pod", "name": "leaky-one", "namespace": "kubeflow"},
                    "reason": "Config",
                    "type": "Warning",
                    "message": f'loaded config {{"user": "kfp", "password": "{EVENT_PASSWORD}"}}',
                },
            )
        finally:
            clients.close()
    finally:
        handle.stop()  # the emulators save the cluster; the bundle starts them again
    return session.id


def _extract(bundle: Path, into: Path) -> Path:
    with tarfile.open(bundle) as tar:
        tar.extractall(into, filter="data")
    [root] = into.iterdir()
    return root


def test_a_bundle_holds_no_secret_of_any_name_or_shape_and_stays_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = _demo_session_with_leaky_workloads(capsys)
    bundle = tmp_path / "bundle.tar.gz"
    assert main(["bundle", "--session", session_id, "--output", str(bundle)]) == 0
    root = _extract(bundle, tmp_path / "extracted")

    files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    leaks = [
        f"{what} in {name}"
        for name, data in files.items()
        for what, value in PLANTED.items()
        if value.encode() in data or base64.b64encode(value.encode()).rstrip(b"=") in data
    ]
    assert not leaks, leaks
    cluster_files = {n: d for n, d in files.items() if n.startswith("cluster/")}
    assert not [n for n, d in cluster_files.items() if b"last-applied-configuration" in d]
    assert not [n for n, d in cluster_files.items() if b"managedFields" in d]
    for name, data in files.items():
        if name.endswith(".json"):
            json.loads(data)  # masking kept every JSON file JSON

    # Still useful: the objects, their names and what is not secret are all there.
    pods = {p["metadata"]["name"]: p for p in json.loads(files["cluster/kubeflow/pods.json"])}
    container = pods["leaky-one"]["spec"]["containers"][0]
    assert container["args"] == ["--api-key=********", "--password", "********", "--verbose"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["DATABASE_URL"] == "postgresql://kfp:********@db/kfp"
    assert env["OPENAI_API_KEY"] == env["MYSQL_PWD"] == env["DB_PASS"] == "********"
    assert env["TLS_PRIVATE"].startswith("-----BEGIN PRIVATE KEY-----")
    assert env["LOG_LEVEL"] == "debug"
    assert env["MYSQL_ALLOW_EMPTY_PASSWORD"] == "yes"  # a switch, not a secret
    two = {e["name"]: e["value"] for e in pods["leaky-two"]["spec"]["containers"][0]["env"]}
    assert set(two.values()) == {"********"}
    events = json.loads(files["cluster/kubeflow/events.json"])
    [config] = [e for e in events if e["reason"] == "Config"]
    assert config["message"] == 'loaded config {"user": "kfp", "password": "********"}'


def test_masking_by_name_and_shape_leaves_ordinary_words_alone() -> None:
    """Free text (logs, the wizard's log pane) is masked by name only where the name is
    a key's (``DB_PASS=``, ``"password":``); prose and ordinary settings read as they
    were."""
    from kfwizard.engine.redact import redact

    masked = {
        "DB_PASS=abc MYSQL_PWD=def": "DB_PASS=******** MYSQL_PWD=********",
        '{"user": "kfp", "password": "pw"}': '{"user": "kfp", "password": "********"}',
        '{\\"password\\": \\"pw\\"}': '{\\"password\\": \\"********\\"}',
        "mysqld --password pw --verbose": "mysqld --password ******** --verbose",
        "--api-key=sk-abc": "--api-key=********",
        "db postgresql://kfp:pw@db/kfp": "db postgresql://kfp:********@db/kfp",
        "token hf_abcdefghijklmnopqrstu": "token hf_********",
        "aws AKIAIOSFODNN7EXAMPLE": "aws ********",
        "Authorization: Basic dXNlcjpwYXNz": "Authorization: Basic ********",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----": (
            "-----BEGIN RSA PRIVATE KEY-----********-----END RSA PRIVATE KEY-----"
        ),
    }
    for text, expected in masked.items():
        assert redact(text) == expected, text
    kept = (
        "credentials: none (CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true, as for the emulators)",
        '"selection_key": "kfp-standalone/2.17.0"',
        "PWD=/home/kfw bypass=1",
        "[preflight] [pass] default-storageclass: standard",
        "https://127.0.0.1:8443/apis@v1",
        "secretKeyRef: {key: password, name: mysql-secret}",
        '"password": ""',
    )
    for text in kept:
        assert redact(text) == text, text
