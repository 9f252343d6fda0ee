"""kfp-gcp's Cloud SQL password: asked at apply time, filled into a copy of Secret
mysql-secret, never into the rendered set, and masked wherever it could be logged."""

from __future__ import annotations

import pytest

from kfwizard.engine.errors import StepFailed
from kfwizard.engine.redact import redact
from kfwizard.manifests.objects import parse_text
from kfwizard.manifests.secret_inputs import (
    CLOUDSQL_PASSWORD_ENV,
    SecretInput,
    collect,
    filled,
    secret_inputs,
    with_values,
)
from kfwizard.manifests.tiers import Tier

from .conftest import KFP, need_fixtures

PASSWORD = SecretInput("kubeflow", "mysql-secret", "password", "Cloud SQL password for user root")


def test_the_value_comes_from_the_environment_first_then_from_asking() -> None:
    asked: list[str] = []

    def ask(item: SecretInput) -> str:
        asked.append(item.prompt)
        return "typed-Pa55"

    assert collect([PASSWORD], {CLOUDSQL_PASSWORD_ENV: "from-env-Pa55"}, ask) == ["from-env-Pa55"]
    assert asked == []
    assert collect([PASSWORD], {}, ask) == ["typed-Pa55"]
    assert asked == ["Cloud SQL password for user root"]
    assert collect([PASSWORD], {CLOUDSQL_PASSWORD_ENV: ""}, None) == [""], "empty on purpose"


def test_a_value_nobody_gives_fails_before_anything_is_applied_naming_both_ways() -> None:
    for ask in (None, lambda item: None):
        with pytest.raises(StepFailed) as failed:
            collect([PASSWORD], {}, ask)
        assert failed.value.cause.startswith(
            "The Cloud SQL password for user root is needed for Secret kubeflow/mysql-secret"
        )
        assert CLOUDSQL_PASSWORD_ENV in failed.value.action
        assert ("Retry asks again" in failed.value.action) is (ask is not None)
        assert "resume" in failed.value.action


def test_a_question_left_unanswered_by_a_stop_is_the_stop() -> None:
    from kfwizard.engine.errors import Cancelled

    def stopped() -> None:
        raise Cancelled("Stopped at your request.")

    with pytest.raises(Cancelled):
        collect([PASSWORD], {}, lambda item: None, stopped)
    assert collect([PASSWORD], {}, lambda item: "typed", stopped) == ["typed"]


def test_a_collected_value_is_masked_in_anything_logged() -> None:
    collect([PASSWORD], {CLOUDSQL_PASSWORD_ENV: "s3cret-Zebra-91"}, None)
    assert "s3cret-Zebra-91" not in redact("connecting with s3cret-Zebra-91 to the database")


def test_the_secret_is_filled_in_a_copy_and_the_rendered_objects_stay_as_they_were() -> None:
    need_fixtures()
    objects = parse_text((KFP / "1.8.5" / "env-gcp.yaml").read_text(), "env-gcp.yaml")
    [original] = [m for m in objects if PASSWORD.matches(m.obj)]
    assert original.obj["stringData"] == {"password": "", "username": "root"}
    result = filled(objects, [PASSWORD], ["typed-Pa55"])
    [copy] = [m for m in result if PASSWORD.matches(m.obj)]
    assert copy.obj["stringData"] == {"password": "typed-Pa55", "username": "root"}
    assert original.obj["stringData"]["password"] == "", "the rendered object is untouched"
    assert (copy.source, copy.index) == (original.source, original.index)
    others = [m for m in result if not PASSWORD.matches(m.obj)]
    assert all(
        a is b for a, b in zip(others, [m for m in objects if m is not original], strict=True)
    )


def test_a_secret_written_as_data_loses_the_empty_value_for_the_asked_one() -> None:
    [secret] = parse_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: mysql-secret, namespace: kubeflow}\n"
        "data: {password: '', username: cm9vdA==}\n"
    )
    [copy] = filled([secret], [PASSWORD], ["typed-Pa55"])
    assert copy.obj["data"] == {"username": "cm9vdA=="}
    assert copy.obj["stringData"] == {"password": "typed-Pa55"}


def test_tiers_are_copied_only_when_something_is_asked_and_the_record_round_trips() -> None:
    [secret] = parse_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: mysql-secret, namespace: kubeflow}\n"
    )
    tiers = [Tier(name="config", objects=[secret])]
    assert with_values(tiers, [], []) == tiers
    [tier] = with_values(tiers, [PASSWORD], ["typed-Pa55"])
    assert tier.name == "config" and tier.objects[0].obj["stringData"]["password"] == "typed-Pa55"
    assert tiers[0].objects[0] is secret
    assert secret_inputs({"secret_inputs": [PASSWORD.to_json()]}) == [PASSWORD]
    assert secret_inputs({}) == []
