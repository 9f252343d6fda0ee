"""The wizard's screens: the session picker and the five steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kfwizard.screens.base import WizardScreen


def screen_for(phase: str) -> WizardScreen:
    """A fresh screen for a phase (imported on demand to keep start-up light)."""
    if phase == "project":
        from kfwizard.screens.project import ProjectScreen

        return ProjectScreen()
    if phase == "cluster":
        from kfwizard.screens.cluster import ClusterScreen

        return ClusterScreen()
    if phase == "mode":
        from kfwizard.screens.mode import ModeScreen

        return ModeScreen()
    if phase == "install":
        from kfwizard.screens.install import InstallScreen

        return InstallScreen()
    if phase == "verify":
        from kfwizard.screens.verify import VerifyScreen

        return VerifyScreen()
    raise ValueError(f"unknown phase {phase!r}")
