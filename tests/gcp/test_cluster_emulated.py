"""Cluster phase against the GKE and Kubernetes emulators, through the real runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from kfwizard.emulator.faults import Faults
from kfwizard.engine.events import StepProgress, StepStarted
from kfwizard.engine.steps.cluster import ClusterStep, ConnectStep
from kfwizard.engine.steps.project import CredentialsStep, ServicesStep
from kfwizard.gcp import kube_access
from tests.e2e.conftest import port_taken

from .conftest import PROJECT, selections

CONTEXT = f"gke_{PROJECT}_us-central1-a_kubeflow-testing"


def full_plan() -> list:
    return [CredentialsStep(), ServicesStep(), ClusterStep(), ConnectStep()]


def create_ops(stack) -> list:
    return [
        op
        for op in stack.gke.operations.values()
        if op.message.operation_type.name == "CREATE_CLUSTER"
    ]


def clusters_of(stack) -> list:
    return [r for r in stack.gke.clusters.values() if r.project == PROJECT]


# -- failures explained -----------------------------------------------------------------------
def test_service_disabled_names_the_api(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run([CredentialsStep(), ClusterStep()])  # no services step: API still off
    assert run.result.state == "failed"
    assert run.result.cause == (
        f"The Kubernetes Engine API (container.googleapis.com) is not enabled in project {PROJECT}."
    )
    assert "let the wizard enable it" in run.result.action
    assert clusters_of(stack) == []


def test_cpu_quota_gives_numbers_and_next_steps(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, faults=Faults.named("cpu-quota"))
    harness = harness_for(stack)
    data = selections(machine_type="n1-standard-4")
    run = harness.run(full_plan(), harness.new_session(data))
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert run.result.cause == (
        "The project's CPU quota in us-central1 is too small for this cluster: it needs 12 "
        "vCPUs (3 x n1-standard-4), the quota is 4, 4 available, short by 8."
    )
    assert "such as n1-standard-2" in run.result.action
    assert "fewer nodes" in run.result.action and "another region" in run.result.action
    assert f"https://console.cloud.google.com/iam-admin/quotas?project={PROJECT}" in (
        run.result.action
    )
    assert clusters_of(stack) == []


def test_zone_stockout_then_resume_elsewhere(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, faults=Faults.named("zone-stockout"))
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert run.result.cause == (
        "Google Cloud has no capacity for n1-standard-2 in us-central1-a right now "
        "(a zone stockout)."
    )
    assert "another zone in the region (us-central1-b, us-central1-c, us-central1-f)" in (
        run.result.action
    )
    assert "a smaller machine type such as n1-standard-1" in run.result.action
    assert run.session.inventory["cluster"]["created_by_session"] is True
    [failed] = clusters_of(stack)
    assert failed.message.status.name == "ERROR"

    # The user follows the advice: another zone. The failed cluster is deleted first.
    stack.faults.clear()
    session = run.session
    session.selections["cluster"]["location"] = "us-central1-b"
    harness.store.save(session)
    again = harness.run(full_plan(), session)
    assert again.result.state == "done", again.result
    assert "deleting it before trying again" in again.log_text()
    [cluster] = clusters_of(stack)
    assert (cluster.location, cluster.message.status.name) == ("us-central1-b", "RUNNING")
    assert again.session.inventory["cluster"] == {
        "project": PROJECT,
        "location": "us-central1-b",
        "name": "kubeflow-testing",
        "created_by_session": True,
    }


def test_bad_input_names_the_field(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run([ClusterStep()], harness.new_session(selections(name="Bad_Name")))
    assert run.result.exit_code == 2
    assert run.result.cause.startswith("cluster.name: a cluster name is 1 to 40 characters")
    run = harness.run([ClusterStep()], harness.new_session(selections(location="us-central9-z")))
    assert run.result.cause.startswith("cluster.location: 'us-central9-z' is not a known")


# -- creating, connecting, running again ----------------------------------------------------------
def test_create_connect_and_run_again(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "done", run.result

    out = run.session.outputs["cluster"]
    kube = stack.cluster("kubeflow-testing")
    assert out["name"] == "kubeflow-testing" and out["location"] == "us-central1-a"
    assert out["status"] == "RUNNING" and out["created_by_session"] is True
    assert out["endpoint"] == kube.endpoint
    assert out["ca_certificate"].strip() == kube.ca_pem.strip()
    assert out["machine_type"] == "n1-standard-2" and out["nodes"] == 3
    assert out["autopilot"] is False and out["version"]
    assert out["operation"].startswith(f"projects/{PROJECT}/locations/us-central1-a/operations/")
    assert run.session.inventory["cluster"] == {
        "project": PROJECT,
        "location": "us-central1-a",
        "name": "kubeflow-testing",
        "created_by_session": True,
    }
    # sizing and cost were shown before creating
    [cost] = run.details("cost")
    assert cost["hourly_usd"] > 0 and cost["as_of"] and cost["source"]
    [size] = run.details("sizing")
    assert size["fits"] is True and size["nodes"] == 3
    assert any(isinstance(e, StepProgress) and e.step_id == "cluster" for e in run.events)

    connect = run.session.outputs["connect"]
    assert connect["context"] == CONTEXT and connect["source"] == "gke"
    assert connect["server_version"].startswith("v1.")
    assert run.session.inventory["kubeconfig_context"] == CONTEXT
    assert any("gke-gcloud-auth-plugin is not installed" in line for line in run.lines("connect"))

    # the context is gcloud's and usable, with the emulator's token standing in for the plugin
    path = Path(connect["kubeconfig"])
    assert path == Path(harness.env["KUBECONFIG"])
    config = yaml.safe_load(path.read_text())
    assert config["current-context"] == CONTEXT
    [user] = [u for u in config["users"] if u["name"] == CONTEXT]
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    api_client = kube_access.api_client_for_context(path, CONTEXT, token=kube.token)
    from kubernetes.client import VersionApi

    assert VersionApi(api_client).get_code().git_version == connect["server_version"]
    api_client.close()

    again = harness.run(full_plan(), run.session)
    assert again.result.state == "done"
    assert all(again.session.steps[s].state == "done" for s in ("services", "cluster", "connect"))
    assert len(clusters_of(stack)) == 1 and len(create_ops(stack)) == 1


def test_a_regional_create_counts_the_nodes_of_every_zone(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    data = selections(location="us-central1", nodes=1)
    run = harness.run(full_plan(), harness.new_session(data))
    assert run.result.state == "done", run.result
    [creating] = [line for line in run.lines("cluster") if line.startswith("creating cluster")]
    assert creating.startswith(
        "creating cluster kubeflow-testing in us-central1 (3 x n1-standard-2, 1 in each zone, "
    )
    [record] = clusters_of(stack)
    assert record.message.current_node_count == 3


@pytest.mark.needs_kubectl
def test_kubectl_reaches_the_cluster_through_the_written_context(
    make_stack, harness_for, tmp_path: Path
) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "done", run.result
    kube = stack.cluster("kubeflow-testing")
    # kubectl uses the written entry; the emulator's token stands in for the plugin
    config = yaml.safe_load(Path(run.session.outputs["connect"]["kubeconfig"]).read_text())
    for user in config["users"]:
        if user["name"] == CONTEXT:
            user["user"] = {"token": kube.token}
    test_config = tmp_path / "kubectl-config"
    test_config.write_text(yaml.safe_dump(config))
    answer = subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            str(test_config),
            "--cache-dir",
            str(tmp_path / "kcache"),
            "version",
            "-o",
            "yaml",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    server = yaml.safe_load(answer.stdout)["serverVersion"]["gitVersion"]
    assert server == run.session.outputs["connect"]["server_version"]


def _stopped_mid_create(make_stack, harness_for) -> tuple:
    """A stack creating slowly (about 0.4 s), and a full run stopped once GKE reports the
    create's first progress: (stack, harness, the stopped run)."""
    stack = make_stack(speed=0.02)
    harness = harness_for(stack, poll_interval=0.02)
    cancel = threading.Event()

    def stop_mid_create(event) -> None:
        if isinstance(event, StepProgress) and event.step_id == "cluster" and event.done > 0:
            cancel.set()

    return stack, harness, harness.run(full_plan(), cancel=cancel, on_event=stop_mid_create)


def test_resume_follows_the_same_operation(make_stack, harness_for) -> None:
    stack, harness, first = _stopped_mid_create(make_stack, harness_for)
    assert first.result.state == "interrupted" and first.result.failed_step == "cluster"
    # Stopping kfwizard does not stop GKE, and the stop says so (and it is saved).
    said = first.session.steps["cluster"].cause
    assert said == first.result.cause
    assert said.startswith("Stopped at your request. GKE goes on creating kubeflow-testing")
    assert "tear this session down with --delete-cluster, which deletes it" in said
    assert "without the flag the cluster is kept" in said
    operation = first.session.outputs["cluster"]["operation"]
    assert operation and first.session.inventory["cluster"]["created_by_session"] is True
    [record] = clusters_of(stack)
    assert record.message.status.name == "PROVISIONING"

    second = harness.run(full_plan(), first.session)
    assert second.result.state == "done", second.result
    assert second.session.outputs["cluster"]["operation"] == operation
    assert "not creating again" in second.log_text()
    assert len(clusters_of(stack)) == 1 and len(create_ops(stack)) == 1
    assert second.session.outputs["cluster"]["status"] == "RUNNING"


# -- existing clusters and kubeconfig contexts ---------------------------------------------------
def test_adopt_existing_cluster(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, clusters=("team-cluster",))
    harness = harness_for(stack)
    data = selections(source="existing", name="team-cluster", location="-")
    run = harness.run(full_plan(), harness.new_session(data))
    assert run.result.state == "done", run.result
    out = run.session.outputs["cluster"]
    assert out["created_by_session"] is False and out["location"] == "us-central1-a"
    recorded = run.session.inventory["cluster"]
    assert recorded["name"] == "team-cluster" and recorded["created_by_session"] is False
    assert run.session.outputs["connect"]["context"] == f"gke_{PROJECT}_us-central1-a_team-cluster"
    assert create_ops(stack) == []


def test_an_adopted_cluster_is_deleted_only_when_its_name_is_confirmed(
    make_stack, harness_for
) -> None:
    """A session creates kubeflow-testing, then adopts team-cluster. ``--delete-cluster``
    deletes its own and keeps the adopted one (saying so); ``--confirm-name
    team-cluster`` deletes that one too, and the same teardown runs again. A name that
    matches none of the session's clusters is refused before anything is deleted."""
    from kfwizard.engine.errors import Refused
    from kfwizard.engine.steps.teardown import DeleteClusterStep, build_teardown_plan

    stack = make_stack(speed=0.0, clusters=("team-cluster",))
    harness = harness_for(stack)
    first = harness.run(full_plan())
    assert first.result.state == "done", first.result
    adopted = harness.choose_cluster(first.session, source="existing", name="team-cluster")
    inventory = adopted.session.inventory
    assert inventory["cluster"]["name"] == "team-cluster"
    assert inventory["cluster"]["created_by_session"] is False
    with pytest.raises(Refused) as refused:
        build_teardown_plan(adopted.session, delete_cluster=True, confirm_name="team-clustr")
    assert "--confirm-name team-clustr names no cluster of this session" in refused.value.cause

    own_only = harness.run([DeleteClusterStep()], adopted.session)
    assert own_only.result.state == "done", own_only.result
    assert any(line.startswith("Kept cluster team-cluster") for line in own_only.lines())
    assert [c.name for c in stack.gke.clusters.values()] == ["team-cluster"]

    plan = build_teardown_plan(own_only.session, delete_cluster=True, confirm_name="team-cluster")
    torn = harness.run(plan, own_only.session)
    assert torn.result.state == "done", torn.result
    assert "Cluster team-cluster deleted." in torn.lines()
    assert clusters_of(stack) == []
    again = build_teardown_plan(torn.session, delete_cluster=True, confirm_name="team-cluster")
    assert harness.run(again, torn.session).result.state == "done", "safe to run twice"


def test_existing_cluster_not_found(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, clusters=("team-cluster",))
    harness = harness_for(stack)
    data = selections(source="existing", name="no-such-cluster", location="us-central1-a")
    run = harness.run([CredentialsStep(), ClusterStep()], harness.new_session(data))
    assert run.result.state == "failed"
    assert run.result.cause == (
        f"Cluster no-such-cluster was not found in project {PROJECT} at us-central1-a."
    )


def test_create_refuses_a_name_taken_by_someone_else(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, clusters=("kubeflow-testing",))
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "failed"
    assert "already exists" in run.result.cause and "did not create it" in run.result.cause
    assert "cluster.source: existing" in run.result.action
    assert "cluster" not in run.session.inventory


def test_kubeconfig_source(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, clusters=("local-one",))
    harness = harness_for(stack)
    harness.env["KUBECONFIG"] = str(stack.kubeconfig_path)  # the stack's own, with tokens
    context = f"gke_{PROJECT}_us-central1-a_local-one"
    data = selections(source="kubeconfig", context=context)
    run = harness.run([ClusterStep(), ConnectStep()], harness.new_session(data))
    assert run.result.state == "done", run.result
    assert run.session.outputs["cluster"]["context"] == context
    connect = run.session.outputs["connect"]
    assert connect["source"] == "kubeconfig" and connect["context"] == context
    assert connect["server_version"].startswith("v1.")
    assert "kubeconfig_context" not in run.session.inventory

    missing = harness.run(
        [ClusterStep()], harness.new_session(selections(source="kubeconfig", context="nope"))
    )
    assert missing.result.exit_code == 2
    assert missing.result.cause.startswith("cluster.context: context not found")


def test_a_kubeconfig_that_is_missing_or_not_yaml_is_named_not_the_context(
    make_stack, harness_for, tmp_path
) -> None:
    """With KUBECONFIG pointing at nothing usable, "context not found" sent users to
    fix a context name that was right: the file is named, and KUBECONFIG as the field."""
    stack = make_stack(speed=0.0, clusters=("local-one",))
    harness = harness_for(stack)
    broken = tmp_path / "broken-config"
    broken.write_text("garbage: [", encoding="utf-8")
    for path, problem in (
        (tmp_path / "nonexistent", "does not exist"),
        (broken, "is not valid YAML"),
    ):
        harness.env["KUBECONFIG"] = str(path)
        session = harness.new_session(selections(source="kubeconfig", context="kind-local"))
        run = harness.run([ClusterStep()], session)
        assert run.result.exit_code == 2
        assert run.result.cause.startswith(f"KUBECONFIG: {path} {problem}"), run.result.cause
        assert "point KUBECONFIG at the file that has it" in run.result.cause
    harness.env["KUBECONFIG"] = os.pathsep.join([str(broken), str(stack.kubeconfig_path)])
    session = harness.new_session(selections(source="kubeconfig", context="kind-local"))
    run = harness.run([ClusterStep()], session)
    assert run.result.cause.startswith("cluster.context: context not found"), run.result.cause
    assert f"not read: {broken} is not valid YAML (line 1)" in run.result.cause


def test_a_refused_context_names_what_its_credential_plugin_said(
    make_stack, harness_for, tmp_path
) -> None:
    """The context's user runs a plugin that fails (an expired gcloud login); the API
    refuses anonymous requests. The failure quotes the plugin, not just "HTTP 401"."""
    import sys

    import yaml

    from kfwizard.emulator.faults import Faults

    stack = make_stack(speed=0.0, clusters=("local-one",), faults=Faults(anonymous_refused=True))
    plugin = tmp_path / "expired-login"
    plugin.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "print('ERROR: Please run: gcloud auth login', file=sys.stderr)\nsys.exit(1)\n",
        encoding="utf-8",
    )
    plugin.chmod(0o755)
    config = yaml.safe_load(stack.kubeconfig_path.read_text(encoding="utf-8"))
    for user in config["users"]:
        user["user"] = {
            "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin)}
        }
    kubeconfig = tmp_path / "plugin-kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config), encoding="utf-8")
    harness = harness_for(stack)
    harness.env["KUBECONFIG"] = str(kubeconfig)
    context = f"gke_{PROJECT}_us-central1-a_local-one"
    data = selections(source="kubeconfig", context=context)
    run = harness.run([ClusterStep(), ConnectStep()], harness.new_session(data))
    assert run.result.state == "failed" and run.result.failed_step == "connect"
    assert "refused the request (HTTP 401)" in run.result.cause
    assert f"its credential plugin {plugin} failed (exit 1)" in run.result.cause
    assert "Please run: gcloud auth login" in run.result.cause
    assert "gcloud auth login" in (run.result.action or "")


def test_crash_after_create_request_adopts_own_cluster(make_stack, harness_for) -> None:
    """The process died after sending the create, before saving the operation: the
    session only knows it asked. The next run finds the cluster, knows it is its own,
    follows the running create operation and never sends a second create."""
    from kfwizard.gcp import clusters, endpoints

    stack = make_stack(speed=0.02, enabled_services=("container.googleapis.com",))
    harness = harness_for(stack, poll_interval=0.02)
    session = harness.new_session()
    session.outputs["cluster"] = {
        "name": "kubeflow-testing",
        "location": "us-central1-a",
        "create_requested": True,
    }
    harness.store.save(session)
    client = endpoints.cluster_manager(harness.env)
    body = clusters.cluster_body(
        name="kubeflow-testing", machine_type="n1-standard-2", nodes=3, scopes=[], version=None
    )

    def dead_process_created(event) -> None:
        """The "dead" process's create, still running when the cluster step starts: sent
        only then, since the create takes about 0.4 s here and the steps before the
        cluster step can take longer than that on a busy machine."""
        if isinstance(event, StepStarted) and event.step_id == "cluster":
            clusters.create_cluster(client, PROJECT, "us-central1-a", body)

    run = harness.run(full_plan(), session, on_event=dead_process_created)
    assert run.result.state == "done", run.result
    assert "following operation" in run.log_text()
    out = run.session.outputs["cluster"]
    assert out["created_by_session"] is True and out["status"] == "RUNNING"
    assert len(create_ops(stack)) == 1 and len(clusters_of(stack)) == 1
    # ... and lists it, so `teardown --delete-cluster` deletes it (not a billable leftover).
    assert run.session.inventory["cluster"] == {
        "project": PROJECT,
        "location": "us-central1-a",
        "name": "kubeflow-testing",
        "created_by_session": True,
    }


def test_a_gke_api_that_stays_down_fails_quickly_naming_it(make_stack, harness_for) -> None:
    """Every cluster call answers 503: no 20 s library retry and no "Unexpected error
    RetryError"; kfwizard's own retries run out, the cause names the API and the answer,
    and the run resumes once GKE answers again."""
    faults = Faults(fail_paths=("locations/us-central1-a/clusters",))
    stack = make_stack(speed=0.0, faults=faults)
    harness = harness_for(stack)
    started = time.monotonic()
    run = harness.run(full_plan())
    assert run.result.state == "failed" and run.result.failed_step == "cluster"
    assert run.result.cause.startswith(
        "The GKE API (container.googleapis.com) kept answering HTTP 503"
    ), run.result.cause
    assert "resume" in run.result.action
    assert time.monotonic() - started < 15

    faults.clear()
    again = harness.run(full_plan(), run.session)
    assert again.result.state == "done", again.result
    assert len(create_ops(stack)) == 1


def test_a_changed_endpoint_is_read_again_and_connect_dials_it(
    make_stack, harness_for, tmp_path: Path
) -> None:
    """The cluster's API moved (here: the emulators restarted while another program held
    its port, as on a ``--demo`` resume; on GKE: a control-plane IP rotation). The cluster
    step is not "already done": it reads the new endpoint and CA, and connect writes and
    dials them."""
    state = tmp_path / "cloud"
    first_stack = make_stack(speed=0.0, state_dir=state)
    first = harness_for(first_stack).run(full_plan())
    assert first.result.state == "done", first.result
    old_endpoint = first.session.outputs["cluster"]["endpoint"]
    first_stack.stop()

    with port_taken(old_endpoint):
        stack = make_stack(speed=0.0, state_dir=state)  # same clusters, the API moved
    cluster_api = stack.cluster("kubeflow-testing")
    new_endpoint = cluster_api.url.removeprefix("https://")
    assert new_endpoint != old_endpoint
    run = harness_for(stack).run(full_plan(), first.session)
    assert run.result.state == "done", run.result
    assert f"its endpoint changed from {old_endpoint} to {new_endpoint}" in run.log_text()
    cluster = run.session.outputs["cluster"]
    assert cluster["endpoint"] == new_endpoint
    assert cluster["ca_certificate"].strip() == cluster_api.ca_pem.strip()
    assert run.session.outputs["connect"]["endpoint"] == new_endpoint
    assert "Kubernetes API answers" in run.log_text()
    config = yaml.safe_load(Path(run.session.outputs["connect"]["kubeconfig"]).read_text())
    [entry] = [c for c in config["clusters"] if c["name"] == CONTEXT]
    assert entry["cluster"]["server"] == f"https://{new_endpoint}"
    assert len(create_ops(stack)) == 1  # read again, never created again

    steady = harness_for(stack).run(full_plan(), run.session)
    assert steady.result.state == "done"
    assert "endpoint changed" not in steady.log_text()


def test_flaky_api_still_gets_there(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0, faults=Faults(error_rate=0.15, drop_rate=0.03, seed=11))
    harness = harness_for(stack)
    run = harness.run(full_plan())
    assert run.result.state == "done", run.result
    assert "retrying in" in run.log_text()
    assert len(create_ops(stack)) == 1


def test_expected_cluster_times_are_gkes_or_the_emulators_at_its_speed() -> None:
    """The "about N min left" of a create: five minutes on GKE; on the emulator its own
    stages at its speed (the demo's 18-second create is not announced as five minutes)."""
    from types import SimpleNamespace

    from kfwizard.emulator.gke_lifecycle import CREATE_STAGES, DELETE_SECONDS
    from kfwizard.gcp import runtime

    assert sum(seconds for *_, seconds in CREATE_STAGES) == runtime.EMULATED_CREATE_SECONDS
    assert runtime.EMULATED_DELETE_SECONDS == DELETE_SECONDS
    google = SimpleNamespace(options={"env": {}})
    assert runtime.expected_seconds(google, "create") == runtime.GKE_CREATE_SECONDS == 300.0
    assert runtime.expected_seconds(google, "delete") == runtime.GKE_DELETE_SECONDS
    demo = SimpleNamespace(options={"env": {"KFWIZARD_DEMO_SPEED": "0.5"}})
    assert runtime.expected_seconds(demo, "create") == 9.0
    assert runtime.expected_seconds(demo, "delete") == 3.0


# -- a new cluster needs the user's yes -------------------------------------------------------
def test_creating_a_cluster_needs_a_yes(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    what = "GKE cluster kubeflow-testing in us-central1-a (3 x n1-standard-2, about $0.39/hour)"

    refused = harness.run(full_plan(), yes=False)
    assert refused.result.state == "failed" and refused.result.failed_step == "cluster"
    assert refused.result.exit_code == 2
    assert refused.result.cause == (
        f"Creating {what} was not confirmed: a cluster is billed until it is deleted."
    )
    assert "--yes" in refused.result.action
    assert clusters_of(stack) == [] and create_ops(stack) == []

    asked: list[str] = []
    declined = harness.run(
        full_plan(), refused.session, yes=False, confirm=lambda q: asked.append(q) or False
    )
    assert declined.result.failed_step == "cluster" and clusters_of(stack) == []
    assert declined.result.action.startswith("run again and agree when asked")
    assert asked == [f"Create {what}? It is billed until deleted."]

    agreed = harness.run(full_plan(), declined.session, yes=False, confirm=lambda q: True)
    assert agreed.result.state == "done"
    assert len(clusters_of(stack)) == 1 and len(create_ops(stack)) == 1

    # The cluster exists now: a run without a yes follows it and asks nothing.
    again = harness.run(full_plan(), agreed.session, yes=False, confirm=asked.append)
    assert again.result.state == "done" and len(asked) == 1


# -- a different cluster: what was installed on the old one no longer counts ------------------
def test_a_new_cluster_sends_later_steps_back_to_pending(make_stack, harness_for) -> None:
    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    first = harness.run(full_plan())
    assert first.result.state == "done", first.result
    session = first.session
    for later in ("manifests", "apply", "rollout", "verify"):  # an install done earlier
        session.record(later, "done")
    harness.store.save(session)

    # The same cluster phase again: nothing changed, nothing later is touched.
    same = harness.run([ClusterStep(), ConnectStep()], session)
    assert same.result.state == "done"
    assert {k: same.session.steps[k].state for k in ("apply", "verify")} == {
        "apply": "done",
        "verify": "done",
    }

    # Another cluster: the install and its verification were done against the old one.
    same.session.selections["cluster"]["name"] = "kubeflow-two"
    harness.store.save(same.session)
    moved = harness.run([ClusterStep(), ConnectStep()], same.session)
    assert moved.result.state == "done", moved.result
    for later in ("manifests", "apply", "rollout", "verify"):
        record = moved.session.steps[later]
        assert record.state == "pending", later
        assert record.note == "to run again: GKE cluster changed"
    assert moved.session.steps["credentials"].state == "done"


# -- moving between clusters, and the teardown of every cluster the session created ---------------
def test_every_cluster_the_session_created_is_deleted_by_the_teardown(
    make_stack, harness_for
) -> None:
    """Create A, then B: A keeps running, listed as an earlier cluster. Going back to A is
    using this session's own cluster, not refused as someone else's. The teardown with the
    cluster deletes both at once, and a second teardown has nothing to do."""
    from kfwizard.engine.steps.teardown import DeleteClusterStep, build_teardown_plan

    stack = make_stack(speed=0.0)
    harness = harness_for(stack)
    first = harness.run(full_plan())
    assert first.result.state == "done", first.result

    moved = harness.choose_cluster(first.session, name="kubeflow-two")
    [warning] = moved.details("warning")
    assert warning.startswith(
        "Cluster kubeflow-testing in us-central1-a, created earlier by this session, is still "
        "there (and billed) while this session uses another."
    )
    assert "gcloud container clusters delete kubeflow-testing" in warning
    inventory = moved.session.inventory
    assert inventory["cluster"]["name"] == "kubeflow-two"
    assert [c["name"] for c in inventory["earlier_clusters"]] == ["kubeflow-testing"]

    back = harness.choose_cluster(moved.session, name="kubeflow-testing")
    assert "created by this session" in back.log_text()
    inventory = back.session.inventory
    assert inventory["cluster"]["name"] == "kubeflow-testing"
    assert [c["name"] for c in inventory["earlier_clusters"]] == ["kubeflow-two"]
    assert len(create_ops(stack)) == 2  # A was not created again

    plan = build_teardown_plan(back.session, delete_cluster=True)
    [step] = [s for s in plan if isinstance(s, DeleteClusterStep)]
    commands = step.commands(back.session)
    assert [c.split()[4] for c in commands] == ["kubeflow-testing", "kubeflow-two"]
    torn = harness.run([DeleteClusterStep()], back.session)
    assert torn.result.state == "done", torn.result
    # Both deletes are asked for before waiting: GKE deletes them side by side.
    said = [line for line in torn.lines() if "luster kubeflow-" in line]
    assert said == [
        "deleting cluster kubeflow-testing in us-central1-a",
        "deleting cluster kubeflow-two in us-central1-a",
        "Cluster kubeflow-testing deleted.",
        "Cluster kubeflow-two deleted.",
    ], said
    assert clusters_of(stack) == []
    assert torn.session.inventory["cluster"]["deleted"] is True
    assert all(c["deleted"] for c in torn.session.inventory["earlier_clusters"])

    deletes_before = len(stack.gke.operations)
    again = harness.run([DeleteClusterStep()], torn.session)
    assert again.result.state == "done"
    assert len(stack.gke.operations) == deletes_before


def test_a_teardown_stopped_while_gke_deletes_follows_that_delete(make_stack, harness_for) -> None:
    """Deleting takes GKE minutes; a teardown stopped meanwhile and run again follows the
    delete under way instead of asking again (which GKE refuses while it deletes)."""
    from kfwizard.engine.steps.teardown import DeleteClusterStep
    from kfwizard.gcp import clusters, endpoints

    stack = make_stack(speed=0.0)
    harness = harness_for(stack, poll_interval=0.02)
    first = harness.run(full_plan())
    assert first.result.state == "done", first.result
    stack.gke.scheduler.speed = 0.3  # deleting now takes about 2 s
    client = endpoints.cluster_manager(harness.env)
    clusters.delete_cluster(client, PROJECT, "us-central1-a", "kubeflow-testing")
    [record] = clusters_of(stack)
    assert record.message.status.name == "STOPPING"

    torn = harness.run([DeleteClusterStep()], first.session)
    assert torn.result.state == "done", torn.result
    assert "being deleted already: following that operation" in torn.log_text()
    assert clusters_of(stack) == []
    deletes = [
        op
        for op in stack.gke.operations.values()
        if op.message.operation_type.name == "DELETE_CLUSTER"
    ]
    assert len(deletes) == 1


def test_a_teardown_of_a_cluster_still_being_created_waits_for_the_create(
    make_stack, harness_for
) -> None:
    """A run stopped mid-create leaves GKE creating the cluster, and GKE refuses to
    delete it until that is done: the teardown waits for the create, then deletes."""
    from kfwizard.engine.steps.teardown import DeleteClusterStep

    stack, harness, first = _stopped_mid_create(make_stack, harness_for)
    assert first.result.state == "interrupted"
    [record] = clusters_of(stack)
    assert record.message.status.name == "PROVISIONING"

    torn = harness.run([DeleteClusterStep()], first.session)
    assert torn.result.state == "done", torn.result
    assert "GKE is still creating cluster kubeflow-testing" in torn.log_text()
    assert clusters_of(stack) == []
    assert len(create_ops(stack)) == 1
