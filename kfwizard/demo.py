"""`--demo`: the real wizard against built-in loopback emulators, no account needed.

The emulators run in this process. Their state is kept under the data folder, so a demo
session can be resumed (or torn down) later like a real one. One process at a time may
run them on that state: each process loads it when it starts and saves over it as it
runs, so two at once would each drop the other's clusters. The second is refused, with
the first one's pid (an advisory lock, the sessions' own, that dies with its owner).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfwizard import paths
from kfwizard.engine.errors import KfwizardError

if TYPE_CHECKING:
    from kfwizard.session import SessionLock

DEMO_PROJECT = "kfwizard-demo"
DEMO_SPEED = 1.0
"""The emulators' pace for the demo: about a minute from Project to Verify."""


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
    """Start the GKE, Service Usage and Kubernetes emulators for a demo run."""
    from kfwizard.emulator.stack import EmulatorStack

    fault_set = check_faults(faults)
    if speed is None:
        speed = float(os.environ.get("KFWIZARD_DEMO_SPEED", DEMO_SPEED))
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
        from kfwizard.engine.errors import BadInput

        raise BadInput("--fault", str(exc)) from None


def demo_manifests_path() -> str:
    from kfwizard.manifests.demo import demo_manifests_dir

    return str(demo_manifests_dir())


def apply_demo_defaults(selections: dict[str, Any], manifests: str | None = None) -> None:
    """Point a session at the demo project and the demo manifests (unless told otherwise)."""
    selections["project"] = selections.get("project") or DEMO_PROJECT
    deployment = selections.setdefault("deployment", {})
    if manifests:
        deployment["manifests"] = manifests
    elif not deployment.get("manifests"):
        deployment["manifests"] = demo_manifests_path()
