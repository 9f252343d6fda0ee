"""`--demo`: the real wizard against built-in loopback emulators, no account needed.

The emulators run in this process. Their state is kept under the data folder, so a demo
session can be resumed (or torn down) later like a real one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from kfwizard import paths

DEMO_PROJECT = "kfwizard-demo"
DEMO_SPEED = 1.0
"""The emulators' pace for the demo: about a minute from Project to Verify."""


@dataclass
class DemoHandle:
    stack: Any
    env: dict[str, str]

    def stop(self) -> None:
        self.stack.stop()


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
    state_dir = paths.ensure_private_dir(paths.data_dir() / "demo-emulator")
    stack = EmulatorStack(
        speed=speed,
        faults=fault_set,
        project=DEMO_PROJECT,
        state_dir=state_dir,
        kubeconfig_path=state_dir / "kubeconfig",
    )
    stack.start()
    env = dict(stack.env())
    env.setdefault("NO_GCE_CHECK", "true")
    return DemoHandle(stack=stack, env=env)


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
