"""A kubeconfig user's credential plugin (``users[].user.exec``), run without a terminal.

The kubernetes client runs the plugin itself, and hands it the terminal whenever
``sys.stdout`` looks like one: its stdin, and its stderr. Inside the wizard that is
always so (Textual's stand-in for stdout says it is a terminal), so a plugin that
complains ("Please run: gcloud auth login") wrote over the screen, and one that asks
could read the keys meant for the wizard. kfwizard runs the plugin the way kubectl does
when it has no terminal: stdin closed, its stderr kept for the message, and
``spec.interactive`` false in ``KUBERNETES_EXEC_INFO``, so a plugin that needs a person
says so instead of waiting for one.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kfwizard.engine.redact import redact
from kfwizard.wording import clip

RUN_TIMEOUT = 60.0
"""Seconds a plugin may take (a token exchange over the network; not a login)."""


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


def run_plugin(
    spec: Mapping[str, Any], *, cwd: Path, env: Mapping[str, str] | None = None
) -> PluginAnswer:
    """Run the plugin once, without a terminal; its answer or its own words on failure."""
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
    run_env["KUBERNETES_EXEC_INFO"] = json.dumps(
        {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    )
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            cwd=cwd,
            env=run_env,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        hint = str(spec.get("installHint") or "").strip()
        return PluginAnswer(
            problem=f"its credential plugin {command} is not installed"
            + (f" ({clip(hint, 200)})" if hint else "")
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
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
    return PluginAnswer(token=str(token), expires_at=_epoch(status.get("expirationTimestamp")))


def _epoch(stamp: Any) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
