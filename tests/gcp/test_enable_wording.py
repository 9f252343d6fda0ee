"""Advice to let the wizard enable APIs reads right on the Project screen and in a
headless run: the option as the screen names it, then the answers file's key (the
action said "(or choose services: enable)", a choice the screen never shows)."""

from __future__ import annotations

from kfwizard.engine.steps.project import CredentialsStep, ServicesStep
from kfwizard.gcp import explain

from .conftest import SELECTIONS


def test_only_check_names_the_screen_option_and_the_answers_key(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    session = harness.new_session(dict(SELECTIONS, services="check"))
    run = harness.run([CredentialsStep(), ServicesStep()], session)
    assert run.result.state == "failed"
    assert run.result.action.endswith(
        ', or choose "Enable what is missing" (services: enable); then resume'
    ), run.result.action


def test_a_disabled_api_names_the_screen_option_too() -> None:
    failed = explain.service_disabled_failure(
        "container.googleapis.com", explain.Facts(project="p-1")
    )
    assert failed.action.startswith(
        'choose "Enable what is missing" (services: enable) to let the wizard enable it, or run'
    )
