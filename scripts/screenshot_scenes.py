"""The README screenshots: the real wizard on the demo emulators, driven by Pilot.

Three demo sessions are played, each with a fixed id:

- ``first-kfp`` goes the happy way, Project to Verify. On the way the Mode step is
  shown as the demo offers it (KFP 2.17.0 standalone, the other modes disabled with the
  reason), and the install is held
  half-way (every Deployment kept un-Ready by an emulator fault) so the install screen
  can be photographed mid-run at speed 0; then the fault is lifted and it finishes.
- ``small-pool`` rehearses the ``small-nodepool`` fault (one e2-small node) and stops
  at the install failure with its diagnosis.
- ``try-again`` checks its project and stops there, so the picker has a session that
  is still at the Cluster step.

Finally the session picker lists the three with fixed times.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripts.screenshot_drive import next_screen, run_step, screen_ready, wait_for
from scripts.screenshot_env import ShotWorld
from scripts.screenshot_svg import save_settled

WIDE = (120, 40)
NARROW = (80, 24)

SHOTS: dict[str, str] = {
    "sessions": "The session picker: resume an install where it stopped, or start a new one.",
    "project": "The Project step of kfwizard --demo, checked.",
    "cluster": "Cluster: the node pool checked against what KFP needs, and its cost, "
    "before anything is created.",
    "mode": "Deployment mode: what the mode installs and needs; the demo offers KFP 2.17.0 "
    "standalone and says why.",
    "install-progress": "Install in progress: preflight checks, the Deployments being "
    "waited for, the live log.",
    "install-failed": "A diagnosed failure (`--fault small-nodepool`): the cause, the next "
    "action, Retry.",
    "verify": "Verify: the API and the UI answer; the summary says how to open and use them.",
}
"""Screenshot name -> what it shows (the README's captions say the same)."""

WITH_NARROW = frozenset({"sessions", "project", "install-failed"})
"""Shots also saved at 80x24 as ``NAME-80x24.svg``: a newcomer's default terminal.
Only those that read well there; the others put the log pane over what they show
(``--all-narrow`` writes every one, to look at)."""

FIRST = "20261127-1640-5e1f"
SMALL = "20261128-1005-9c2a"
AGAIN = "20261128-1150-0d7b"
SESSION_TIMES = {
    FIRST: ("2026-11-27T16:40:00+00:00", "2026-11-27T16:52:00+00:00"),
    SMALL: ("2026-11-28T10:05:00+00:00", "2026-11-28T10:19:00+00:00"),
    AGAIN: ("2026-11-28T11:50:00+00:00", "2026-11-28T11:57:00+00:00"),
}
"""(created, updated) of each session as the picker shows them: before ``FIXED_NOW``, so
its "Updated" column reads "3 min ago", "1 h ago", "19 h ago"."""


class Camera:
    """Saves the current screen at the wide size and, for some shots, at 80x24."""

    def __init__(self, folder: Path, all_narrow: bool = False) -> None:
        self.folder = folder
        self.narrow = frozenset(SHOTS) if all_narrow else WITH_NARROW
        self.saved: list[Path] = []

    async def shoot(self, pilot: Any, name: str) -> None:
        """Save ``name`` (and its 80x24 variant)."""
        for size, suffix in ((WIDE, ""), (NARROW, "-80x24")):
            if suffix and name not in self.narrow:
                continue
            if pilot.app.size != size:
                await pilot.resize_terminal(*size)
            self.saved.append(await save_settled(pilot, self.folder, f"{name}{suffix}"))
        if pilot.app.size != WIDE:
            await pilot.resize_terminal(*WIDE)


def rendered_workloads(session: Any) -> list[str]:
    """Names of the Deployments and StatefulSets the manifests step rendered."""
    import yaml

    folder = Path(session.outputs["manifests"]["rendered_dir"])
    names: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") in ("Deployment", "StatefulSet"):
                names.append(doc["metadata"]["name"])
    return names


def all_waiting(table: Any) -> bool:
    """Every row of the rollout table shows a started, un-Ready Deployment (the held
    state; earlier rows still say Pending or missing)."""
    if not table.display or not table.row_count:
        return False
    states = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
    return states == {"progressing"}


async def happy_path(world: ShotWorld, camera: Camera) -> None:
    """``first-kfp``: project, cluster, the demo's mode, install mid-run, verify."""
    from textual.widgets import Select

    from kfwizard.screens.cluster import ClusterScreen
    from kfwizard.screens.install import InstallScreen
    from kfwizard.screens.mode import ModeScreen
    from kfwizard.screens.project import ProjectScreen
    from kfwizard.screens.verify import VerifyScreen

    app = world.app(world.new_session(FIRST, "first-kfp"))
    async with app.run_test(size=WIDE) as pilot:
        await screen_ready(pilot, ProjectScreen)
        await run_step(pilot)
        await camera.shoot(pilot, "project")

        await next_screen(pilot, ClusterScreen)
        await camera.shoot(pilot, "cluster")
        await run_step(pilot)

        mode = await next_screen(pilot, ModeScreen)
        version = mode.query_one("#version", Select)
        assert version.value == "2.17.0", version.value
        await camera.shoot(pilot, "mode")
        await run_step(pilot)

        install = await next_screen(pilot, InstallScreen)
        # Hold every workload un-Ready: the rollout waits and the screen stands still.
        world.faults.update(never_ready=rendered_workloads(app.session))
        await pilot.press("ctrl+n")
        table = install.query_one("#deployments")
        await wait_for(pilot, lambda: all_waiting(table), what="every Deployment started")
        await camera.shoot(pilot, "install-progress")
        world.faults.update(never_ready=())
        await wait_for(pilot, lambda: install.last_result is not None, what="install done")
        assert install.last_result.state == "done", install.last_result

        await next_screen(pilot, VerifyScreen)
        await run_step(pilot)
        await camera.shoot(pilot, "verify")


async def small_pool(world: ShotWorld, camera: Camera) -> None:
    """``small-pool``: the ``small-nodepool`` fault, diagnosed at install."""
    from kfwizard.screens.cluster import ClusterScreen
    from kfwizard.screens.install import InstallScreen
    from kfwizard.screens.mode import ModeScreen
    from kfwizard.screens.project import ProjectScreen

    world.faults.apply_named("small-nodepool")
    app = world.app(world.new_session(SMALL, "small-pool", cluster="kfp-small"))
    try:
        async with app.run_test(size=WIDE) as pilot:
            await screen_ready(pilot, ProjectScreen)
            await run_step(pilot)
            await next_screen(pilot, ClusterScreen)
            await run_step(pilot)
            await next_screen(pilot, ModeScreen)
            await run_step(pilot)
            await next_screen(pilot, InstallScreen)
            await run_step(pilot, expect="failed", timeout=120)
            await camera.shoot(pilot, "install-failed")
    finally:
        world.faults.update(small_nodepool=False)


async def stopped_early(world: ShotWorld) -> None:
    """``try-again``: the project is checked, then the user leaves."""
    from kfwizard.screens.project import ProjectScreen

    app = world.app(world.new_session(AGAIN, "try-again", cluster="kfp-again"))
    async with app.run_test(size=WIDE) as pilot:
        await screen_ready(pilot, ProjectScreen)
        await run_step(pilot)


async def picker(world: ShotWorld, camera: Camera) -> None:
    """The session picker over the three sessions, newest first."""
    from textual.widgets import DataTable

    from kfwizard.screens.sessions import SessionsScreen

    for session_id, (created, updated) in SESSION_TIMES.items():
        world.stamp_session(session_id, created, updated)
    app = world.app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await screen_ready(pilot, SessionsScreen)
        # The failed one, so its "Last problem" line shows.
        rows = [s.id for s in screen.sessions]
        screen.query_one(DataTable).move_cursor(row=rows.index(SMALL))
        await camera.shoot(pilot, "sessions")


async def take_all(world: ShotWorld, folder: Path, all_narrow: bool = False) -> list[Path]:
    """Play every session and save the screenshots into ``folder``; return the files."""
    camera = Camera(folder, all_narrow)
    await happy_path(world, camera)
    await small_pool(world, camera)
    await stopped_early(world)
    await picker(world, camera)
    return camera.saved
