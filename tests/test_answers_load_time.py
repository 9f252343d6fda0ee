"""What an answers file must hold depends on the plan it makes, and is checked when the
file is read: a project only when the plan uses Google, the kfp-gcp inputs by the Mode
screen's rules. Both used to be found late (or wrongly): a kubeconfig install was refused
for lacking a project it never uses, and a kfp-gcp run without a bucket created its
cluster before the manifests step said so."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfwizard.answers import parse_answers_text, validate_selections
from kfwizard.demo import DEMO_PROJECT, demo_manifests_path
from kfwizard.engine.errors import BadInput
from kfwizard.engine.plan import needs_google
from kfwizard.headless import run_headless
from kfwizard.session import SessionStore

CREATE = {"source": "create", "name": "kubeflow-testing", "location": "us-central1-a"}
KUBECONFIG = {"source": "kubeconfig", "context": "kind-local"}
GCP_OK = {"bucket": "my-kfp-artifacts", "cloudsql_instance": "my-project:us-central1:kfp-db"}


def answers(cluster: dict[str, Any], **deployment: Any) -> dict[str, Any]:
    return {"cluster": dict(cluster), "deployment": {"version": "2.17.0", **deployment}}


def fields(data: dict[str, Any]) -> list[str]:
    return [e.field for e in validate_selections(data)]


# -- project: only when the plan has the project steps ---------------------------------


def test_a_kubeconfig_install_needs_no_project() -> None:
    data = answers(KUBECONFIG, mode="kfp-standalone")
    assert not needs_google(data)
    assert validate_selections(data) == []
    assert parse_answers_text(yaml.safe_dump(data))["project"] == ""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(answers(CREATE), id="new-gke-cluster"),
        pytest.param(
            answers(KUBECONFIG, mode="kfp-gcp", version="2.14.4", gcp=GCP_OK),
            id="kubeconfig-kfp-gcp",
        ),
    ],
)
def test_a_plan_that_uses_google_still_needs_its_project(data: dict[str, Any]) -> None:
    assert needs_google(data)
    with pytest.raises(BadInput) as caught:
        parse_answers_text(yaml.safe_dump(data), source="a.yaml")
    assert caught.value.field == "project" and caught.value.rule == "is required"


def test_a_project_given_to_a_kubeconfig_install_is_still_checked() -> None:
    data = {**answers(KUBECONFIG), "project": "Not_A_Project"}
    assert fields(data) == ["project"]


@pytest.fixture
def stack() -> Iterator[Any]:
    """Loopback emulators with one cluster, whose context stands in for kind's."""
    from kfwizard.emulator.stack import EmulatorStack

    started = EmulatorStack(speed=0.0, clusters=("local-one",)).start()
    yield started
    started.stop()


def test_a_kubeconfig_install_without_a_project_runs_to_verify(stack: Any, tmp_path: Path) -> None:
    """The whole plan, through the real headless run: nothing after loading asks for
    the project either (the cluster is a context in a kubeconfig, as kind's would be)."""
    context = f"gke_{DEMO_PROJECT}_us-central1-a_local-one"
    path = tmp_path / "a.yaml"
    data = answers(
        {"source": "kubeconfig", "context": context},
        mode="kfp-standalone",
        env="platform-agnostic",
        manifests=demo_manifests_path(),
    )
    path.write_text(yaml.safe_dump(data))
    env = {**os.environ, **stack.env(), "KUBECONFIG": str(stack.kubeconfig_path)}
    out = io.StringIO()
    code = run_headless(answers=path, session_id=None, yes=True, stream=out, env=env)
    assert code == 0, out.getvalue()[-3000:]
    [session] = SessionStore().list()
    assert session.steps["verify"].state == "done"
    assert "credentials" not in session.steps  # the project steps were never planned


# -- kfp-gcp inputs: the Mode screen's rules, when the file is read ---------------------


def test_kfp_gcp_without_its_gcp_block_is_refused_naming_each_field() -> None:
    data = {"project": "my-project", **answers(CREATE, mode="kfp-gcp", version="1.8.5")}
    with pytest.raises(BadInput) as caught:
        parse_answers_text(yaml.safe_dump(data), source="a.yaml")
    assert caught.value.field == "deployment.gcp.bucket"
    assert "deployment.gcp.cloudsql_instance: is required" in caught.value.cause
    assert "fix deployment.gcp.bucket and deployment.gcp.cloudsql_instance in a.yaml" in str(
        caught.value.action
    )


@pytest.mark.parametrize(
    ("gcp", "field", "words"),
    [
        ({**GCP_OK, "bucket": "gs://my-kfp-artifacts"}, "deployment.gcp.bucket", "without gs://"),
        ({**GCP_OK, "bucket": "my-google-bucket"}, "deployment.gcp.bucket", "google"),
        (
            {**GCP_OK, "cloudsql_instance": "kfp-db"},
            "deployment.gcp.cloudsql_instance",
            "project:region:instance",
        ),
        ({**GCP_OK, "db_user": "a user"}, "deployment.gcp.db_user", "no spaces"),
    ],
)
def test_kfp_gcp_inputs_follow_the_mode_screens_rules(
    gcp: dict[str, str], field: str, words: str
) -> None:
    from kfwizard.manifests import catalog

    data = {"project": "my-project", **answers(CREATE, mode="kfp-gcp", version="1.8.5", gcp=gcp)}
    errors = validate_selections(data)
    assert [e.field for e in errors] == [field]
    assert words in errors[0].rule
    assert errors[0].rule == next(r for f, r, _ in catalog.gcp_input_problems(gcp) if f == field)


def test_kfp_gcp_with_its_inputs_is_accepted_and_other_modes_need_none() -> None:
    base = {"project": "my-project"}
    assert (
        validate_selections(
            {**base, **answers(CREATE, mode="kfp-gcp", version="2.14.4", gcp=GCP_OK)}
        )
        == []
    )
    assert validate_selections({**base, **answers(CREATE, mode="kfp-standalone")}) == []


def test_a_secret_in_the_gcp_block_is_named_once() -> None:
    data = answers(CREATE, mode="kfp-gcp", version="1.8.5", gcp={**GCP_OK, "password": "hunter2"})
    data["project"] = "my-project"
    assert fields(data) == ["deployment.gcp.password"]


def test_partial_selections_let_empty_kfp_gcp_inputs_wait_but_not_bad_ones() -> None:
    """As the Mode screen does: an empty field is named when the user moves on."""
    data = answers(CREATE, mode="kfp-gcp", version="1.8.5")
    assert validate_selections(data, partial=True) == []
    data["deployment"]["gcp"] = {"bucket": "gs://x"}
    assert [e.field for e in validate_selections(data, partial=True)] == ["deployment.gcp.bucket"]
