"""The local tools a kustomize render needs: ``kubectl`` or ``kustomize``, and ``git``
when a kustomization pulls remote bases (KFP 2.14+, Kubeflow 1.11+).

Tool trouble is a top install pain (P10: missing binaries, kustomize too old or too new),
so kfwizard finds the tools itself, reports their versions, and when one is missing says
exactly what to install before it renders anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kfwizard.engine.errors import Cancelled, StepFailed
from kfwizard.wording import plural

INSTALL_KUBECTL = (
    "install kubectl (`gcloud components install kubectl`, or the `kubectl` package from "
    "the Kubernetes apt/yum repository) or kustomize "
    "(https://kubectl.docs.kubernetes.io/installation/kustomize/), then run again"
)
INSTALL_GIT = (
    "install git (`sudo apt-get install git`, or https://git-scm.com/downloads), then run again"
)
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
RENDER_TIMEOUT = 900.0

Which = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Renderer:
    """A kustomize implementation: standalone ``kustomize build`` or ``kubectl kustomize``."""

    kind: str
    path: str
    version: str | None

    def argv(self, target: Path) -> list[str]:
        if self.kind == "kustomize":
            return [self.path, "build", str(target)]
        return [self.path, "kustomize", str(target)]

    def describe(self) -> str:
        what = "kustomize" if self.kind == "kustomize" else "kubectl kustomize"
        return f"{what} {self.version or '(version unknown)'} ({self.path})"

    @property
    def major(self) -> int | None:
        if not self.version:
            return None
        digits = self.version.lstrip("v").split(".", 1)[0]
        return int(digits) if digits.isdigit() else None


def _child_env(env: Mapping[str, str] | None) -> dict[str, str] | None:
    """The environment for a tool: the run's snapshot, or (when none or empty) ours."""
    return dict(env) if env else None


def _run_quiet(
    argv: list[str], env: Mapping[str, str] | None = None, timeout: float = 20
) -> str | None:
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_child_env(env),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def kustomize_version(path: str, env: Mapping[str, str] | None = None) -> str | None:
    """``kustomize version`` prints ``v5.5.0`` (v5) or ``{Version:kustomize/v4.5.7 ...}``."""
    out = _run_quiet([path, "version"], env)
    if not out:
        return None
    text = out.strip()
    marker = "kustomize/"
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.split()[0].rstrip("},") if text else None


def kubectl_kustomize_version(path: str, env: Mapping[str, str] | None = None) -> str | None:
    """The kustomize built into kubectl (``kubectl version --client -o json``)."""
    out = _run_quiet([path, "version", "--client", "-o", "json"], env)
    if not out:
        return None
    try:
        data = json.loads(out)
    except ValueError:
        return None
    value = data.get("kustomizeVersion")
    return str(value) if value else None


def find_renderer(env: Mapping[str, str] | None = None, which: Which | None = None) -> Renderer:
    """Standalone kustomize if present (its version is chosen deliberately), else kubectl's
    built-in one; :class:`StepFailed` naming what to install when neither exists."""
    path_env = (env or os.environ).get("PATH")
    look: Which = which or (lambda name: shutil.which(name, path=path_env))
    found = look("kustomize")
    if found:
        return Renderer("kustomize", found, kustomize_version(found, env))
    found = look("kubectl")
    if found:
        return Renderer("kubectl", found, kubectl_kustomize_version(found, env))
    raise StepFailed(
        "Neither kubectl nor kustomize was found on PATH; one of them is needed "
        "to render the kustomize manifests.",
        action=INSTALL_KUBECTL,
    )


def find_git(env: Mapping[str, str] | None = None, which: Which | None = None) -> str | None:
    path_env = (env or os.environ).get("PATH")
    look: Which = which or (lambda name: shutil.which(name, path=path_env))
    return look("git")


# -- remote bases ----------------------------------------------------------------------


def _kustomization(folder: Path) -> dict[str, Any] | None:
    for name in KUSTOMIZATION_FILES:
        path = folder / name
        if path.is_file():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return None
            return data if isinstance(data, dict) else None
    return None


def is_remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "git::")) or "?ref=" in entry


def needs_git(url: str) -> bool:
    """A remote kustomize resource that is cloned (not a plain file download)."""
    if "?ref=" in url or url.startswith(("github.com/", "git@", "git::", "ssh://")):
        return True
    path = url.split("?", 1)[0]
    return not path.endswith((".yaml", ".yml", ".json"))


def remote_refs(target: Path) -> list[str]:
    """Remote ``resources``/``bases``/``components`` reachable from ``target``'s
    kustomization (walking local directories), in the order found."""
    found: list[str] = []
    seen: set[Path] = set()
    stack = [target.resolve()]
    while stack:
        folder = stack.pop()
        if folder in seen:
            continue
        seen.add(folder)
        data = _kustomization(folder)
        if data is None:
            continue
        for key in ("resources", "bases", "components"):
            for entry in data.get(key) or []:
                if not isinstance(entry, str):
                    continue
                if is_remote(entry):
                    if entry not in found:
                        found.append(entry)
                    continue
                child = (folder / entry).resolve()
                if child.is_dir():
                    stack.append(child)
    return found


def require_git_for(
    refs: list[str], env: Mapping[str, str] | None = None, which: Which | None = None
) -> str | None:
    """The git path when ``refs`` need cloning; :class:`StepFailed` when git is missing."""
    cloned = [r for r in refs if needs_git(r)]
    if not cloned:
        return None
    git = find_git(env, which)
    if git is None:
        raise StepFailed(
            f"These manifests pull {plural(len(cloned), 'remote kustomize base')} from GitHub "
            f"(e.g. {cloned[0]}), which kustomize clones with git, and git is not installed.",
            action=INSTALL_GIT,
            details=tuple(cloned),
        )
    return git


# -- rendering --------------------------------------------------------------------------


def render(
    renderer: Renderer,
    target: Path,
    out_path: Path,
    *,
    log: Callable[[str], None],
    cancel: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = RENDER_TIMEOUT,
) -> None:
    """Run kustomize on ``target`` writing stdout to ``out_path``; stderr warnings are
    logged, a failure is a :class:`StepFailed` with the last lines of stderr."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    argv = renderer.argv(target)
    log(f"$ {' '.join(argv)} > {out_path.name}")
    started = time.monotonic()
    with out_path.open("wb") as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=err,
                cwd=str(target),
                env=_child_env(env),
            )
        except OSError as exc:
            raise StepFailed(
                f"Could not start {renderer.path}: {exc.strerror or exc}.", action=INSTALL_KUBECTL
            ) from None
        while True:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                pass
            if (cancel is not None and cancel.is_set()) or time.monotonic() - started > timeout:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                raise StepFailed(
                    f"Rendering {target} took longer than {timeout:.0f} s.",
                    action="check network access to github.com, then run again",
                )
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace").splitlines()
    if code != 0:
        tail = tuple(line for line in stderr[-15:] if line.strip())
        hint = (
            "check that git works and github.com is reachable, then run again"
            if any(w in " ".join(tail) for w in ("git", "github", "fetch", "clone"))
            else "fix the kustomization (the lines above say where), then run again"
        )
        raise StepFailed(
            f"{renderer.describe()} could not render {target} (exit {code}).",
            action=hint,
            details=tail,
        )
    warnings = [line for line in stderr if line.strip()]
    if warnings:
        log(f"kustomize warnings ({len(warnings)} lines), first: {warnings[0][:200]}")


def report(env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Paths and versions of the tools a render may use (for logs and support bundles)."""
    path_env = (env or os.environ).get("PATH")
    found: dict[str, str | None] = {}
    for name in ("kubectl", "kustomize", "git"):
        path = shutil.which(name, path=path_env)
        if path is None:
            found[name] = None
        elif name == "kubectl":
            found[name] = f"{path} (kustomize {kubectl_kustomize_version(path, env) or '?'})"
        elif name == "kustomize":
            found[name] = f"{path} ({kustomize_version(path, env) or '?'})"
        else:
            version = (_run_quiet([path, "--version"], env) or "").strip()
            found[name] = f"{path} ({version or '?'})"
    return found
