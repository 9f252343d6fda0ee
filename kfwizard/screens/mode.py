"""Placeholder."""

from kfwizard.screens.base import WizardScreen


class ModeScreen(WizardScreen):
    PHASE = "mode"
