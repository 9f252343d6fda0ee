"""No token, password or secret value lands in session files, logs or support bundles.

Why: people attach bundles and logs to bug reports and keep sessions for months. A test
plants known secrets on every path one could leak through, runs an install and
``kfwizard bundle``, then scans every file kfwizard wrote (and the bundle's members, and
what it printed) for them, in plain text and base64:

- a DB password registered with ``redact.register_secret`` (what kfp-gcp's password
  prompt does) and logged bare by a step, and one logged as ``db_password=...``;
- a bearer token in an ``Authorization: Bearer ...`` log line;
- a Secret's value (``mysql-secret``) and a pod env ``MYSQL_PASSWORD`` literal in the
  manifests, so they sit in the emulated cluster the bundle reads;
- the emulated cluster's own bearer token (its kubeconfig) and gcloud's access token file.

Session, log, kubeconfig and bundle files must be private (0600). ``shell=True`` is
checked in tests/test_import_hygiene.py.
"""

from __future__ import annotations

import base64
import json
import stat
import sys
import tarfile
from pathlib import Path
from typing import Any

import yaml

from tests.reliability import harness

DB_PASSWORD = "kfw-DbPass-7f3a9c2e1b"
DB_PASSWORD_2 = "kfw-DbPass2-0c41d7"
BEARER = "kfwTok.eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ"
SECRET_VALUE = "kfw-SecretValue-51d2e8"
ENV_PASSWORD = "kfw-EnvPass-88e0aa"
ENV_FILE = "env-platform-agnostic.yaml"


def planted_manifests(tmp: Path) -> Path:
    """The 2.17.0 fixture with a Secret value and a MYSQL_PASSWORD env literal in it."""
    folder = tmp / "manifests"
    folder.mkdir()
    (folder / "cluster-scoped-resources.yaml").symlink_to(
        harness.KFP_2170 / "cluster-scoped-resources.yaml"
    )
    text = (harness.KFP_2170 / ENV_FILE).read_text()
    secret = '  name: mysql-secret\n  namespace: kubeflow\nstringData:\n  password: ""\n'
    assert secret in text
    text = text.replace(secret, secret.replace('password: ""', f"password: {SECRET_VALUE}"))
    port = '        - name: WEBHOOK_PORT\n          value: "8443"\n'
    assert port in text
    text = text.replace(
        port, port + f"        - name: MYSQL_PASSWORD\n          value: {ENV_PASSWORD}\n", 1
    )
    (folder / ENV_FILE).write_text(text)
    return folder


def secrets_of(emulator: harness.Emulator) -> dict[str, str]:
    found = {
        "db password (registered)": DB_PASSWORD,
        "db password (password=...)": DB_PASSWORD_2,
        "bearer token": BEARER,
        "Secret value": SECRET_VALUE,
        "pod env MYSQL_PASSWORD": ENV_PASSWORD,
        "gcloud access token": Path(emulator.env["CLOUDSDK_AUTH_ACCESS_TOKEN_FILE"])
        .read_text()
        .strip(),
    }
    kubeconfig = yaml.safe_load(Path(emulator.env["KUBECONFIG"]).read_text())
    for user in kubeconfig.get("users") or []:
        token = (user.get("user") or {}).get("token")
        if token:
            found[f"cluster token ({user['name']})"] = token
    return found


def forms(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(raw).rstrip(b"=")]


def scan(blobs: dict[str, bytes], secrets: dict[str, str]) -> list[str]:
    leaks = []
    for where, data in blobs.items():
        for what, value in secrets.items():
            if any(form in data for form in forms(value)):
                leaks.append(f"{what} in {where}")
    return leaks


def files_under(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not str(p.relative_to(root)).startswith(skip)
    }


def bundle_members(path: Path) -> dict[str, bytes]:
    members = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            if handle is not None:
                members[f"bundle:{member.name}"] = handle.read()
    return members


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_planted_secrets_never_reach_sessions_logs_or_bundles(
    tmp_path: Path, emulators: Any, kfwizard_home: Path
) -> None:
    emulator = emulators(speed=0.0)
    answers = harness.write_answers(tmp_path, manifests=str(planted_manifests(tmp_path)))
    step_log = {
        "step": "preflight",
        "secrets": [DB_PASSWORD],
        "lines": [
            f"connecting to the database as root with {DB_PASSWORD}",
            f"retrying with db_password={DB_PASSWORD_2}",
            f"Authorization: Bearer {BEARER}",
            f"curl -H 'Authorization: Bearer {BEARER}' https://127.0.0.1/x",
        ],
    }
    run = harness.run_to_end(
        tmp_path,
        emulator,
        ["--answers", str(answers)],
        extra_env={"KFWIZARD_TEST_STEP_LOG": json.dumps(step_log)},
    )
    assert run.popen.returncode == 0, run.tail()
    assert "connecting to the database as root with ********" in run.out, "no line was planted"
    session_id = harness.session_id_of(run)

    bundle_path = tmp_path / "bundle.tar.gz"
    bundle = harness.Proc(
        [
            sys.executable,
            "-m",
            "kfwizard",
            "bundle",
            "--session",
            session_id,
            "--output",
            str(bundle_path),
        ],
        harness.child_env(tmp_path, emulator.env),
        tmp_path,
        "bundle",
    )
    assert bundle.wait(120) == 0, bundle.tail()
    members = bundle_members(bundle_path)
    assert any(name.endswith("deployments.json") for name in members), sorted(members)
    deployments = next(v for k, v in members.items() if k.endswith("deployments.json"))
    assert b"MYSQL_PASSWORD" in deployments, "the planted env var is not in the bundle at all"

    secrets = secrets_of(emulator)
    # The rendered-manifest cache is a copy of the user's own manifests (Secrets included);
    # it is checked for privacy below, not for content.
    written = files_under(kfwizard_home, skip=("cache/rendered",))
    printed = {
        "run stdout": run.out.encode(),
        "run stderr": run.err.encode(),
        "bundle stdout": bundle.out.encode(),
    }
    leaks = scan({**written, **members, **printed}, secrets)
    assert not leaks, leaks

    session_file = harness.sessions_dir() / f"{session_id}.json"
    log_file = kfwizard_home / "log" / session_id / "kfwizard.log"
    kubeconfig = Path(harness.read_session(session_id)["outputs"]["connect"]["kubeconfig"])
    for path in (session_file, log_file, kubeconfig, bundle_path):
        assert mode(path) == 0o600, f"{path} is {oct(mode(path))}"
    for folder in (harness.sessions_dir(), log_file.parent):
        assert mode(folder) == 0o700, f"{folder} is {oct(mode(folder))}"

    rendered = [
        p
        for p in (kfwizard_home / "cache" / "rendered").rglob("*")
        if p.is_file() and SECRET_VALUE.encode() in p.read_bytes()
    ]
    public = [f"{p} {oct(mode(p))}" for p in rendered if mode(p) & 0o077]
    public += [f"{d} {oct(mode(d))}" for d in {p.parent for p in rendered} if mode(d) & 0o077]
    assert rendered, "the planted Secret is not in the rendered cache at all"
    assert not public, f"the rendered cache holding the user's Secrets is not private: {public}"


def test_a_secret_in_a_failure_cause_stays_out_of_the_session_file(
    tmp_path: Path, emulators: Any, answers: Path, kfwizard_home: Path
) -> None:
    """A step fails with a cause that quotes a registered secret (an API error echoing a
    connection string): the journal, step record, log and output must mask it."""
    emulator = emulators(speed=0.0)
    step_log = {
        "step": "credentials",
        "secrets": [DB_PASSWORD],
        "lines": ["checking the database"],
        "fail": f"login refused for root:{DB_PASSWORD}@10.0.0.3 (Authorization: Bearer {BEARER})",
    }
    run = harness.run_to_end(
        tmp_path,
        emulator,
        ["--answers", str(answers)],
        extra_env={"KFWIZARD_TEST_STEP_LOG": json.dumps(step_log)},
    )
    assert run.popen.returncode == 1, run.tail()
    assert "login refused for root:" in run.out, run.tail()
    secrets = {"db password": DB_PASSWORD, "bearer token": BEARER}
    leaks = scan(
        {**files_under(kfwizard_home, skip=("cache/",)), "run stdout": run.out.encode()}, secrets
    )
    assert not leaks, "a failure cause leaked: " + "; ".join(leaks)
