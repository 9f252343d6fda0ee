"""A kubeconfig user's credential plugin (``users[].user.exec``), run without a terminal.

The kubernetes client runs the plugin itself, and hands it the terminal whenever
``sys.stdout`` looks like one: its stdin, and its stderr. Inside the wizard that is
always so (Textual's stand-in for stdout says it is a terminal), so a plugin that
complains ("Please run: gcloud auth login") wrote over the screen, and one that asks
could read the keys meant for the wizard. kfwizard runs the plugin the way kubectl does
when it has no terminal: stdin closed, its stderr kept for the message, and
``spec.interactive`` false in ``KUBERNETES_EXEC_INFO``, so a plugin that needs a person
says so instead of waiting for one.

With ``provideClusterInfo: true`` the plugin also gets ``spec.cluster``, the cluster it
is asked a credential for (client-go's exec protocol, v1beta1 and v1): a plugin that
serves several clusters (one token per audience, say) cannot choose without it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kfwizard.engine.redact import redact
from kfwizard.wording import clip

RUN_TIMEOUT = 60.0
"""Seconds a plugin may take (a token exchange over the network; not a login)."""

EXEC_EXTENSION = "client.authentication.k8s.io/exec"
"""The cluster extension whose ``extension`` becomes ``spec.cluster.config``."""

RENEW_MARGIN = 300.0
"""Seconds before a token's expiry at which it is renewed (the kubernetes client counts
a token as expired five minutes early), for tokens that live long enough."""
RENEW_SHARE = 1 / 3
"""The share of a shorter-lived token's life (as seen when it was issued) left when it
is renewed, when that is less than ``RENEW_MARGIN``: a plugin's 2-minute token is used
for 80 s and renewed once, not at every look because it is always inside 300 s."""


@dataclass(frozen=True)
class PluginAnswer:
    """A token and when it expires (epoch seconds, None: never), or why there is none.

    ``certificate``: the plugin answered with a client certificate instead of a token,
    which the kubernetes client's own loader knows how to use.
    """

    token: str | None = None
    expires_at: float | None = None
    problem: str | None = None
    certificate: bool = False
    issued_at: float | None = None
    """When the plugin answered (epoch seconds): the token's life is counted from here."""

    def renew_at(self, looks_every: float = 0.0) -> float | None:
        """When to run the plugin again (epoch seconds; None: the token never expires).

        ``RENEW_MARGIN`` before the expiry, or ``RENEW_SHARE`` of the token's life when
        that is less, so a short-lived token is used for most of its life and renewed
        once before it expires. Never less than ``looks_every``, the longest time
        between two looks at the token: a token that could expire between two looks is
        renewed at the look before (at once, when it lives no longer than that).
        """
        if self.expires_at is None:
            return None
        margin = RENEW_MARGIN
        if self.issued_at is not None:
            life = max(0.0, self.expires_at - self.issued_at)
            margin = min(margin, max(life * RENEW_SHARE, looks_every))
        return self.expires_at - margin


def exec_spec(config: Mapping[str, Any], context: str | None) -> dict[str, Any] | None:
    """The ``exec`` block of ``context``'s user (None: its current context), if any."""
    name = context or config.get("current-context")
    found = next((c for c in config.get("contexts") or [] if c.get("name") == name), None)
    user_name = ((found or {}).get("context") or {}).get("user")
    for user in config.get("users") or []:
        if user.get("name") == user_name:
            spec = (user.get("user") or {}).get("exec")
            return dict(spec) if isinstance(spec, dict) else None
    return None


def exec_cluster(config: Mapping[str, Any], context: str | None, base: Path) -> dict[str, Any]:
    """``spec.cluster`` for ``context``'s cluster, as client-go builds it ({}: none found).

    The fields shadow the kubeconfig's cluster entry, except that the CA is always data
    (base64 in JSON, like ``certificate-authority-data``): a ``certificate-authority``
    file, relative to the kubeconfig's folder (``base``), is read. ``config`` is the
    cluster's ``client.authentication.k8s.io/exec`` extension, meant for the plugin.
    """
    name = context or config.get("current-context")
    found = next((c for c in config.get("contexts") or [] if c.get("name") == name), None)
    cluster_name = ((found or {}).get("context") or {}).get("cluster")
    entry = next((c for c in config.get("clusters") or [] if c.get("name") == cluster_name), None)
    cluster = (entry or {}).get("cluster")
    if not isinstance(cluster, dict):
        return {}
    info: dict[str, Any] = {"server": str(cluster.get("server") or "")}
    for key in ("tls-server-name", "proxy-url"):
        if cluster.get(key):
            info[key] = str(cluster[key])
    for key in ("insecure-skip-tls-verify", "disable-compression"):
        if cluster.get(key):
            info[key] = True
    ca_data = _ca_data(cluster, base)
    if ca_data:
        info["certificate-authority-data"] = ca_data
    for extension in cluster.get("extensions") or []:
        if isinstance(extension, dict) and extension.get("name") == EXEC_EXTENSION:
            info["config"] = extension.get("extension")
    return info


def _ca_data(cluster: Mapping[str, Any], base: Path) -> str | None:
    data = cluster.get("certificate-authority-data")
    if data:
        return "".join(str(data).split())
    ca_file = cluster.get("certificate-authority")
    if not ca_file:
        return None
    try:
        return base64.b64encode((base / str(ca_file)).read_bytes()).decode("ascii")
    except OSError:
        return None  # the kubernetes client's loader names the missing file


def run_plugin(
    spec: Mapping[str, Any],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    cluster: Mapping[str, Any] | None = None,
    timeout: float = RUN_TIMEOUT,
) -> PluginAnswer:
    """Run the plugin once, without a terminal; its answer or its own words on failure.

    ``cluster`` (``exec_cluster``) is passed only when the exec entry asks for it with
    ``provideClusterInfo``, as client-go does; v1alpha1 has no such field. ``timeout``
    bounds the run, so a plugin that waits (for a person, a network) cannot hold a
    renewal, and every request behind it, for ever; the message names it.
    """
    command = str(spec.get("command") or "")
    if not command:
        return PluginAnswer(problem="its exec entry names no command")
    args = spec.get("args") or []
    argv = [command, *(str(a) for a in (args if isinstance(args, list) else [args]))]
    run_env = dict(env if env is not None else os.environ)
    for item in spec.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            run_env[str(item["name"])] = str(item.get("value") or "")
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1beta1")
    exec_info: dict[str, Any] = {"interactive": False}
    if spec.get("provideClusterInfo") and cluster and not api_version.endswith("/v1alpha1"):
        exec_info["cluster"] = dict(cluster)
    run_env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": exec_info}
    )
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=run_env,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        hint = str(spec.get("installHint") or "").strip()
        return PluginAnswer(
            problem=f"its credential plugin {command} is not installed"
            + (f" ({clip(hint, 200)})" if hint else "")
        )
    except subprocess.TimeoutExpired:
        return PluginAnswer(
            problem=f"its credential plugin {command} gave no answer within {timeout:g} s "
            "and was stopped (a plugin that waits for a login or a network)"
        )
    except OSError as exc:
        return PluginAnswer(problem=f"its credential plugin {command} could not run: {exc}")
    # Only stderr is quoted: stdout may hold a credential, even from a failing plugin.
    said = redact(clip(done.stderr.strip(), 300))
    if done.returncode != 0:
        return PluginAnswer(
            problem=f"its credential plugin {command} failed (exit {done.returncode})"
            + (f": {said}" if said else "")
        )
    return _parsed(command, done.stdout)


def _parsed(command: str, stdout: str) -> PluginAnswer:
    try:
        answer = json.loads(stdout)
    except ValueError:
        answer = None
    status = answer.get("status") if isinstance(answer, dict) else None
    if not isinstance(status, dict):
        return PluginAnswer(problem=f"its credential plugin {command} did not answer in JSON")
    token = status.get("token")
    if not token:
        if status.get("clientCertificateData"):
            return PluginAnswer(certificate=True)
        return PluginAnswer(problem=f"its credential plugin {command} gave no token")
    return PluginAnswer(
        token=str(token),
        expires_at=_epoch(status.get("expirationTimestamp")),
        issued_at=time.time(),
    )


def _epoch(stamp: Any) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
