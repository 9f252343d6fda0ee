"""A kubeconfig user's credential plugin, run by kfwizard without a terminal.

The plugins here are small Python scripts, run as real processes, against the Kubernetes
emulator. Inside the wizard the kubernetes client would have given a plugin the terminal
(Textual's stdout says it is one): its complaint landed on the screen, and a plugin that
asks could read the wizard's keys.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.gcp.kube_access import CREDENTIAL_PROBLEM, api_client_for_context
from kfwizard.kube.exec_plugin import exec_spec, run_plugin
from tests.kube.conftest import CONTEXT

PLUGIN = """#!{python}
import json, os, pathlib, sys
calls = pathlib.Path(__file__).with_suffix(".calls")
count = int(calls.read_text()) + 1 if calls.exists() else 1
calls.write_text(str(count))
info = json.loads(os.environ["KUBERNETES_EXEC_INFO"])
{body}
"""

ANSWERS = """
typed = sys.stdin.read()  # a plugin that asks: it must get no terminal, only EOF
status = {{"token": f"t{{count}}-interactive={{info['spec']['interactive']}}-typed={{typed!r}}"}}
if {expires} is not None:
    import datetime
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds={expires})
    status["expirationTimestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({{"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": status}}))
"""

COMPLAINS = """
print("ERROR: gke-gcloud-auth-plugin: Please run: gcloud auth login", file=sys.stderr)
sys.exit(1)
"""


def plugin(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "credential-plugin"
    script.write_text(PLUGIN.format(python=sys.executable, body=body), encoding="utf-8")
    script.chmod(0o755)
    return script


def bearer(api_client: Any) -> str:
    """The token the client sends (one entry; its key is the kubernetes client's)."""
    [value] = api_client.configuration.api_key.values()
    return str(value)


def kubeconfig_with_plugin(emu: Any, tmp_path: Path, command: str, **extra: Any) -> Path:
    """The emulator's kubeconfig, its user replaced by ``exec: command``."""
    config = emu.kubeconfig(CONTEXT)
    exec_entry = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": command}
    exec_entry.update(extra)
    for user in config["users"]:
        user["user"] = {"exec": exec_entry}
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_plugin_gets_no_terminal_and_its_token_reaches_the_api(
    emu: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    script = plugin(tmp_path, ANSWERS.format(expires=None))
    path = kubeconfig_with_plugin(emu, tmp_path, str(script))
    api_client = api_client_for_context(path, CONTEXT)
    try:
        from kubernetes.client import VersionApi

        assert VersionApi(api_client).get_code().git_version.startswith("v1.33")
        assert bearer(api_client) == "Bearer t1-interactive=False-typed=''"
        assert getattr(api_client, CREDENTIAL_PROBLEM, None) is None
    finally:
        api_client.close()
    assert capfd.readouterr() == ("", "")


async def test_a_failing_plugin_in_the_wizard_is_quiet_and_its_words_are_kept(
    emu: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """In a running Textual app, where stdout claims to be a terminal (the kubernetes
    client then gave the plugin the real one). Like the kubernetes client, kfwizard
    carries on without credentials (a cluster may not need them); what the plugin said
    is kept for the API's refusal."""
    from textual.app import App

    script = plugin(tmp_path, COMPLAINS)
    path = kubeconfig_with_plugin(emu, tmp_path, str(script))
    async with App[None]().run_test():
        assert sys.stdout.isatty(), "Textual's stand-in for stdout"
        api_client = api_client_for_context(path, CONTEXT)
    try:
        assert "Please run" not in capfd.readouterr().err, "the plugin wrote on the terminal"
        problem = getattr(api_client, CREDENTIAL_PROBLEM)
        assert problem == (
            f"its credential plugin {script} failed (exit 1): "
            "ERROR: gke-gcloud-auth-plugin: Please run: gcloud auth login"
        )
        assert not api_client.configuration.api_key
    finally:
        api_client.close()


def test_a_missing_plugin_says_so_with_the_kubeconfigs_install_hint(tmp_path: Path) -> None:
    spec = {"command": "kfwizard-no-such-plugin", "installHint": "Install it with gcloud."}
    answer = run_plugin(spec, cwd=tmp_path)
    assert answer.token is None
    assert answer.problem == (
        "its credential plugin kfwizard-no-such-plugin is not installed (Install it with gcloud.)"
    )


def test_a_token_about_to_expire_is_renewed_by_running_the_plugin_again(
    emu: Any, tmp_path: Path
) -> None:
    # It would expire before the next look at it (30 s on): renewed at this one.
    script = plugin(tmp_path, ANSWERS.format(expires=20))
    path = kubeconfig_with_plugin(emu, tmp_path, str(script))
    api_client = api_client_for_context(path, CONTEXT)
    try:
        configuration = api_client.configuration
        assert bearer(api_client).startswith("Bearer t1-")
        configuration.refresh_api_key_hook(configuration)  # as before a request
        assert bearer(api_client).startswith("Bearer t2-")
        # How often it looks is test_kube_token_refresh's business (at most every 30 s).
    finally:
        api_client.close()


def test_the_exec_entry_of_the_contexts_own_user_is_found() -> None:
    config = {
        "current-context": "b",
        "contexts": [
            {"name": "a", "context": {"user": "ua"}},
            {"name": "b", "context": {"user": "ub"}},
        ],
        "users": [
            {"name": "ua", "user": {"token": "x"}},
            {"name": "ub", "user": {"exec": {"command": "plugin-b"}}},
        ],
    }
    assert exec_spec(config, None) == {"command": "plugin-b"}
    assert exec_spec(config, "a") is None
    assert exec_spec(config, "missing") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # An answer that is JSON but not an ExecCredential: a message, not a traceback.
        ('print(json.dumps({"status": "ok"}))', "did not answer in JSON"),
        # A failing plugin that printed its credential: stdout is never quoted.
        (
            'print(json.dumps({"status": {"token": "SECRET-TOKEN-123"}})); sys.exit(1)',
            "failed (exit 1)",
        ),
    ],
)
def test_odd_answers_are_named_and_never_quoted_from_stdout(
    tmp_path: Path, body: str, expected: str
) -> None:
    answer = run_plugin({"command": str(plugin(tmp_path, body))}, cwd=tmp_path)
    assert answer.token is None and answer.problem is not None
    assert expected in answer.problem
    assert "SECRET-TOKEN-123" not in answer.problem


def test_a_client_certificate_answer_is_left_to_the_kubernetes_client(tmp_path: Path) -> None:
    body = 'print(json.dumps({"status": {"clientCertificateData": "x", "clientKeyData": "y"}}))'
    answer = run_plugin({"command": str(plugin(tmp_path, body))}, cwd=tmp_path)
    assert answer.certificate and answer.problem is None


def test_args_given_as_one_string_are_one_argument(tmp_path: Path) -> None:
    body = 'print(json.dumps({"status": {"token": "-".join(sys.argv[1:])}}))'
    spec = {"command": str(plugin(tmp_path, body)), "args": "get-token"}
    assert run_plugin(spec, cwd=tmp_path).token == "get-token"


TELLS = """
pathlib.Path(__file__).with_suffix(".info").write_text(json.dumps(info))
status = {"token": f"t{count}"}
if count == 1:  # expiring before the next look (30 s on); the renewal's never expires
    import datetime
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=20)
    status["expirationTimestamp"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"apiVersion": info["apiVersion"], "kind": "ExecCredential", "status": status}))
"""
"""Keeps what it was told (``KUBERNETES_EXEC_INFO``) next to itself, and answers."""


def told(script: Path) -> dict[str, Any]:
    import json

    return dict(json.loads(script.with_suffix(".info").read_text(encoding="utf-8")))


def test_provide_cluster_info_gives_the_plugin_its_cluster_also_on_renewal(
    emu: Any, tmp_path: Path
) -> None:
    """client-go's protocol: ``spec.cluster`` shadows the kubeconfig's cluster, with the
    cluster's ``client.authentication.k8s.io/exec`` extension as ``config``."""
    script = plugin(tmp_path, TELLS)
    path = kubeconfig_with_plugin(emu, tmp_path, str(script), provideClusterInfo=True)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    audience = {"audience": "kfwizard-test", "scopes": ["a", "b"]}
    config["clusters"][0]["cluster"]["extensions"] = [
        {"name": "other/extension", "extension": {"not": "this"}},
        {"name": "client.authentication.k8s.io/exec", "extension": audience},
    ]
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    expected = {
        "server": emu.url,
        "certificate-authority-data": emu.ca_b64,
        "config": audience,
    }
    api_client = api_client_for_context(path, CONTEXT)
    try:
        from kubernetes.client import VersionApi

        assert told(script)["spec"] == {"interactive": False, "cluster": expected}
        assert VersionApi(api_client).get_code().git_version.startswith("v1.33")
        configuration = api_client.configuration
        configuration.refresh_api_key_hook(configuration)  # due: a renewal
        assert bearer(api_client) == "Bearer t2"
        assert told(script)["spec"] == {"interactive": False, "cluster": expected}
    finally:
        api_client.close()


def test_cluster_info_reads_a_ca_file_and_keeps_the_clusters_tls_and_proxy(
    tmp_path: Path,
) -> None:
    import base64

    from kfwizard.kube.exec_plugin import exec_cluster

    (tmp_path / "ca.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nabc\n")
    cluster = {
        "server": "https://10.0.0.1",
        "certificate-authority": "ca.crt",  # relative to the kubeconfig's folder
        "tls-server-name": "kubernetes.default",
        "proxy-url": "http://proxy.internal:3128",
        "insecure-skip-tls-verify": True,
    }
    config = {
        "current-context": "c",
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "clusters": [{"name": "k", "cluster": cluster}],
    }
    info = exec_cluster(config, None, tmp_path)
    assert info == {
        "server": "https://10.0.0.1",
        "certificate-authority-data": base64.b64encode(
            b"-----BEGIN CERTIFICATE-----\nabc\n"
        ).decode(),
        "tls-server-name": "kubernetes.default",
        "proxy-url": "http://proxy.internal:3128",
        "insecure-skip-tls-verify": True,
    }
    script = plugin(tmp_path, TELLS)
    spec: dict[str, Any] = {"command": str(script), "provideClusterInfo": True}
    assert run_plugin(spec, cwd=tmp_path, cluster=info).token == "t1"
    assert told(script)["spec"] == {"interactive": False, "cluster": info}


@pytest.mark.parametrize(
    "entry",
    [
        {},  # not asked for: a plugin gets no cluster unless its entry says so
        {"provideClusterInfo": False},
        {"provideClusterInfo": True, "apiVersion": "client.authentication.k8s.io/v1alpha1"},
    ],
)
def test_no_cluster_info_unless_asked_in_a_version_that_has_it(
    tmp_path: Path, entry: dict[str, Any]
) -> None:
    script = plugin(tmp_path, TELLS)
    spec = {"command": str(script), **entry}
    run_plugin(spec, cwd=tmp_path, cluster={"server": "https://10.0.0.1"})
    assert told(script)["spec"] == {"interactive": False}
