"""Placeholder."""

from kfwizard.screens.base import WizardScreen


class InstallScreen(WizardScreen):
    PHASE = "install"
