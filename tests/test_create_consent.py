"""Headless consent to a billable cluster: ``--yes``, the demo, the emulators, a prompt."""

from __future__ import annotations

from kfwizard.headless import create_consent

GOOGLE: dict[str, str] = {}
EMULATED = {"CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER": "http://127.0.0.1:8089/"}


def test_yes_the_demo_and_the_emulators_need_no_question() -> None:
    assert create_consent(yes=True, demo=False, env=GOOGLE) == {"yes": True}
    assert create_consent(yes=False, demo=True, env=GOOGLE) == {"yes": True}
    assert create_consent(yes=False, demo=False, env=EMULATED) == {"yes": True}


def test_without_a_terminal_there_is_no_one_to_ask() -> None:
    # pytest's stdin is not a terminal: the cluster step then refuses, naming --yes.
    assert create_consent(yes=False, demo=False, env=GOOGLE) == {"yes": False}


def test_a_terminal_is_asked_and_only_yes_agrees() -> None:
    prompts: list[str] = []
    for reply, agreed in (("yes", True), (" YES \n", True), ("y", False), ("", False)):
        options = create_consent(
            yes=False, demo=False, env=GOOGLE, ask=lambda p, r=reply: prompts.append(p) or r
        )
        assert options["yes"] is False
        assert options["confirm"]("Create GKE cluster x?") is agreed
    assert prompts[0] == "Create GKE cluster x? Type 'yes' to continue: "
