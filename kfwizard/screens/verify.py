"""Placeholder."""

from kfwizard.screens.base import WizardScreen


class VerifyScreen(WizardScreen):
    PHASE = "verify"
