"""`--demo`: the real wizard against built-in loopback emulators, no account needed.

The emulators run in this process. Their state is kept under the data folder, so a demo
session can be resumed (or torn down) later like a real one. One process at a time may
run them on that state: each process loads it when it starts and saves over it as it
runs, so two at once would each drop the other's clusters. The second is refused, with
the first one's pid (an advisory lock, the sessions' own, that dies with its owner).
"""

from __future__ import annotations

import math
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfwizard import paths
from kfwizard.engine.errors import BadInput, KfwizardError

if TYPE_CHECKING:
    from kfwizard.session import SessionLock

DEMO_PROJECT = "kfwizard-demo"
DEMO_SPEED = 1.0
"""The emulators' pace for the demo: about a minute from Project to Verify."""
SPEED_VARIABLE = "KFWIZARD_DEMO_SPEED"
"""Sets the demo's pace when ``--speed`` does not (the tests and the terminal e2e use it)."""

DEMO_OFFER: dict[str, tuple[str, ...]] = {"kfp-standalone": ("2.17.0",)}
"""What the demo's built-in manifests (``kfwizard/manifests/demo``, shaped like KFP 2.17.0
standalone) can install: any other choice would fail at the manifests step."""


class DemoBusy(KfwizardError):
    """Another process runs the demo emulators on this state. Nothing is wrong with what
    the user typed (so not exit 2): like a session open elsewhere, it is exit 1."""

    exit_code = 1


@dataclass
class DemoHandle:
    stack: Any
    env: dict[str, str]
    lock: SessionLock | None = None
    """Held until ``stop()``: the demo state is this process's while it runs."""

    def stop(self) -> None:
        """Stop the emulators (they save their state), then let another demo start."""
        try:
            self.stack.stop()
        finally:
            if self.lock is not None:
                self.lock.release()


def start_demo(
    faults: list[str] | tuple[str, ...] = (),
    manifests: str | None = None,
    speed: float | None = None,
) -> DemoHandle:
    """Start the GKE, Service Usage and Kubernetes emulators for a demo run.

    The flags are checked before anything starts: a bad ``--fault``, ``--manifests``,
    ``--speed`` or ``KFWIZARD_DEMO_SPEED`` is bad input (exit 2, naming it), never a
    traceback and never found after a cluster was made.
    """
    from kfwizard.emulator.stack import EmulatorStack

    fault_set = check_faults(faults)
    check_manifests_flag(manifests)
    speed = demo_speed(speed, os.environ)
    state_dir = paths.ensure_private_dir(paths.demo_state_dir())
    lock = hold_demo_state()
    try:
        stack = EmulatorStack(
            speed=speed,
            faults=fault_set,
            project=DEMO_PROJECT,
            state_dir=state_dir,
            kubeconfig_path=state_dir / "kubeconfig",
        )
        stack.start()
    except BaseException:
        lock.release()
        raise
    env = dict(stack.env())
    env.setdefault("NO_GCE_CHECK", "true")
    write_shell_env(state_dir / ENV_FILE, stack.export_lines())
    return DemoHandle(stack=stack, env=env, lock=lock)


ENV_FILE = "env.sh"
"""In the demo folder: sourced in another terminal, it points gcloud and kubectl at the
running demo's emulators, so the commands the wizard shows can be run by hand."""


def shell_env_path() -> Path:
    return paths.demo_state_dir() / ENV_FILE


def write_shell_env(path: Path, exports: list[str]) -> None:
    """The demo's environment as a POSIX shell file (written at every start: the
    emulators' ports change). Its own gcloud folder, so a gcloud account configured on
    this machine is neither used nor changed, and the emulator's token stands in for a
    login."""
    gcloud = path.parent / "gcloud"
    lines = [
        "# kfwizard --demo: source this file in another terminal while the demo runs",
        *exports,
        f"export CLOUDSDK_CONFIG={shlex.quote(str(gcloud))}",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def hold_demo_state() -> SessionLock:
    """The demo state's lock, held; ``DemoBusy`` when another process holds it.

    The emulators' state lock (``emulator.state.hold``), the one ``kfwizard emulator
    --state-dir`` takes too: the kernel drops it when its owner dies, so a killed demo
    never blocks the next one.
    """
    from kfwizard.emulator import state

    try:
        return state.hold(paths.demo_state_dir())
    except state.StateBusy as busy:
        raise _demo_busy(busy.lock_path, busy.owner) from None
    except state.StateUnlockable as exc:
        raise _demo_state_unlockable(exc.lock_path, exc.reason) from None


def _demo_busy(lock_path: Path, owner: str) -> DemoBusy:
    """Says "kfwizard process", not "--demo process": ``kfwizard emulator --state-dir``
    pointed at the demo folder holds the same lock."""
    who = f" (pid {owner})" if owner else ""
    return DemoBusy(
        f"Another kfwizard process{who} is using the demo emulators in "
        f"{lock_path.parent}; two at once would overwrite each other's clusters, so this "
        "one started nothing.",
        action=(
            "wait for that process to finish, or quit it, and run again; or set "
            "KFWIZARD_HOME to another folder for a separate demo (with its own sessions)"
        ),
    )


def _demo_state_unlockable(lock_path: Path, reason: str) -> DemoBusy:
    return DemoBusy(
        f"Cannot lock the demo emulators' state in {lock_path.parent} ({reason}); this "
        "demo started nothing.",
        action="make that folder writable (or point KFWIZARD_HOME elsewhere) and run again",
    )


def check_faults(faults: list[str] | tuple[str, ...]) -> Any:
    """The named faults as the emulators take them; an unknown name is ``--fault`` bad
    input. Called before a run announces its session, so a typo starts nothing."""
    from kfwizard.emulator.faults import Faults

    try:
        return Faults.named(*faults)
    except ValueError as exc:
        raise BadInput("--fault", str(exc)) from None


def demo_speed(speed: float | None, env: Mapping[str, str]) -> float:
    """The demo's pace: ``--speed`` when given, else ``KFWIZARD_DEMO_SPEED``, else 1.

    Either must be a finite number of at least 0, else it is bad input naming the flag
    or the variable: the emulators raised ``ValueError`` (or ``OverflowError`` for
    ``inf``) when they started, and the user saw a traceback with exit 1. An empty
    variable counts as unset, as the steps' own reading of it does.
    """
    if speed is not None:
        return _speed(speed, "--speed")
    text = env.get(SPEED_VARIABLE, "")
    return _speed(text, SPEED_VARIABLE) if text.strip() else DEMO_SPEED


def _speed(value: object, name: str) -> float:
    rule = "must be a finite number of at least 0 (0 is instant, 1 the demo's own pace)"
    try:
        number = float(value)  # type: ignore[arg-type]  # anything: a bad one is refused
    except (TypeError, ValueError):
        raise BadInput(name, rule, value) from None
    if not math.isfinite(number) or number < 0:
        raise BadInput(name, rule, value)
    return number


def check_manifests_flag(manifests: str | None) -> None:
    """Refuse a ``--manifests`` path that is not on this machine before the demo starts.

    It replaces the answers' ``deployment.manifests``, so it gets the same check at the
    same time (before APIs or a cluster), and the refusal names the flag: the answers
    file has no such key to fix. Refused here, it is never saved into the session
    either, where re-runs without the flag kept failing on it.
    """
    if not manifests:
        return
    from kfwizard.answers import manifests_path_problem

    problem = manifests_path_problem(manifests)
    if problem:
        raise BadInput(
            "--manifests",
            problem,
            action="give --manifests a folder or file that exists, or leave it out",
        )


def demo_manifests_path() -> str:
    from kfwizard.manifests.demo import demo_manifests_dir

    return str(demo_manifests_dir())


def demo_envs() -> tuple[str, ...]:
    """The envs the demo's built-in manifests hold an ``env-<env>.yaml`` for: the
    manifests step refuses any other in the demo."""
    from kfwizard.manifests.demo import demo_manifests_dir

    found = demo_manifests_dir().glob("env-*.yaml")
    return tuple(sorted(path.stem.removeprefix("env-") for path in found))


def apply_demo_defaults(selections: dict[str, Any], manifests: str | None = None) -> None:
    """Point a session at the demo project and the demo manifests (unless told otherwise).

    Raises :class:`BadInput` for a choice the demo's built-in manifests cannot install
    (see :func:`check_demo_choices`): every demo run passes here before its plan starts.
    """
    selections["project"] = selections.get("project") or DEMO_PROJECT
    deployment = selections.setdefault("deployment", {})
    if manifests:
        deployment["manifests"] = manifests
    elif not deployment.get("manifests"):
        deployment["manifests"] = demo_manifests_path()
    check_demo_choices(deployment)


def check_demo_choices(deployment: Mapping[str, Any]) -> None:
    """Refuse a mode, version or env the demo's built-in manifests do not hold.

    The manifests step found out only after the (emulated) cluster was created ("The
    manifests are KFP 2.17.0, but version 1.8.5 was selected"). Manifests of one's own
    (``deployment.manifests`` or ``--manifests``) lift the limit: they are checked
    against the choices when they are read.
    """
    from kfwizard.manifests.demo import is_demo_manifests

    if not is_demo_manifests(deployment.get("manifests")):
        return
    mode = str(deployment.get("mode") or "kfp-standalone")
    version = str(deployment.get("version") or "")
    env = deployment.get("env")
    holds = "the demo's built-in manifests are KFP 2.17.0 standalone"
    own = (
        "or set deployment.manifests (or --manifests) to a local copy of the manifests "
        "you want, a folder of rendered YAML or a kustomize tree"
    )
    offered = DEMO_OFFER.get(mode)
    if offered is None:
        raise BadInput(
            "deployment.mode",
            f"{holds}, so --demo installs mode {', '.join(DEMO_OFFER)} only, not {mode}",
            action=f"choose mode {', '.join(DEMO_OFFER)}, {own}",
        )
    if version not in offered:
        raise BadInput(
            "deployment.version",
            f"{holds}, so --demo installs version {', '.join(offered)} only, not {version}",
            action=f"choose version {', '.join(offered)}, {own}",
        )
    envs = demo_envs()
    if env and env not in envs:
        raise BadInput(
            "deployment.env",
            f"{holds}, with the envs {', '.join(envs)} only, not {env}",
            action=f"choose env {' or '.join(envs)}, {own}",
        )
