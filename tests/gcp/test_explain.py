"""Google errors become a plain cause and one next action."""

from __future__ import annotations

from google.api_core import exceptions as gexc
from google.rpc import error_details_pb2

from kfwizard.gcp import explain
from kfwizard.gcp.explain import Facts

FACTS = Facts(
    project="my-project",
    location="us-central1-a",
    cluster="kubeflow-testing",
    machine_type="n1-standard-4",
    nodes=3,
)

DISABLED_TEXT = (
    "Kubernetes Engine API has not been used in project 123456789 before or it is disabled. "
    "Enable it by visiting https://console.developers.google.com/apis/api/"
    "container.googleapis.com/overview?project=123456789 then retry."
)
QUOTA_TEXT = (
    'Insufficient regional quota to satisfy request: resource "CPUS": request requires '
    "'12.0' and is short '8.0'. project has a quota of '8.0' with '4.0' available. View and "
    "manage quotas at https://console.cloud.google.com/iam-admin/quotas?usage=USED&project=p."
)
STOCKOUT_TEXT = (
    "Google Compute Engine: Not all instances running in IGM after 32.5s. Expected 3, running "
    "0, transitioning 3. Current errors: [GCE_STOCKOUT]: Instance 'gke-x' creation failed: The "
    "zone 'projects/my-project/zones/us-central1-a' does not have enough resources available "
    "to fulfill the request.  Try a different zone, or try again later."
)


def test_service_disabled_from_error_info() -> None:
    info = error_details_pb2.ErrorInfo(
        reason="SERVICE_DISABLED",
        domain="googleapis.com",
        metadata={"service": "container.googleapis.com"},
    )
    exc = gexc.Forbidden(DISABLED_TEXT, error_info=info)
    failed = explain.explain_api_error(exc, "cluster.create", FACTS)
    assert failed.cause == (
        "The Kubernetes Engine API (container.googleapis.com) is not enabled in project my-project."
    )
    assert "let the wizard enable it" in failed.action
    assert "gcloud services enable container.googleapis.com --project=my-project" in failed.action


def test_service_disabled_from_text_only() -> None:
    exc = gexc.PermissionDenied(DISABLED_TEXT)
    assert explain.disabled_service(exc) == "container.googleapis.com"
    failed = explain.explain_api_error(exc, "cluster.list", FACTS)
    assert "container.googleapis.com" in failed.cause


def test_permission_denied_enabling_services() -> None:
    exc = gexc.Forbidden("Permission denied to enable service [container.googleapis.com]")
    failed = explain.explain_api_error(exc, "services.enable", FACTS)
    assert "serviceusage.services.enable" in failed.cause
    assert "roles/serviceusage.serviceUsageAdmin" in failed.action
    assert "--member=user:YOUR_EMAIL " in failed.action  # the account is not known here
    for account, member in [
        ("ana@example.com", "user:ana@example.com"),
        ("ci@p.iam.gserviceaccount.com", "serviceAccount:ci@p.iam.gserviceaccount.com"),
    ]:
        facts = explain.Facts(project="p", account=account)
        named = explain.explain_api_error(exc, "services.enable", facts)
        assert f"--member={member} " in named.action


def test_permission_denied_creating_cluster() -> None:
    exc = gexc.Forbidden("Required 'container.clusters.create' permission for 'projects/x'.")
    failed = explain.explain_api_error(exc, "cluster.create", FACTS)
    assert "container.clusters.create" in failed.cause
    assert "roles/container.admin" in failed.action


def test_cpu_quota_numbers_and_next_steps() -> None:
    failed = explain.explain_api_error(gexc.Forbidden(QUOTA_TEXT), "cluster.create", FACTS)
    assert failed.cause == (
        "The project's CPU quota in us-central1 is too small for this cluster: it needs 12 vCPUs "
        "(3 x n1-standard-4), the quota is 8, 4 available, short by 8."
    )
    assert "n1-standard-2" in failed.action  # the next smaller shape
    assert "fewer nodes" in failed.action and "another region" in failed.action
    assert "https://console.cloud.google.com/iam-admin/quotas?project=my-project" in failed.action


def test_quota_exceeded_short_form() -> None:
    text = "Quota 'CPUS' exceeded. Limit: 8.0 in region us-east1."
    failed = explain.explain_operation_error(text, FACTS)
    assert "us-east1" in failed.cause and "the quota is 8" in failed.cause


def test_stockout_suggests_other_zones_and_smaller_type() -> None:
    failed = explain.explain_operation_error(STOCKOUT_TEXT, FACTS)
    assert failed.cause == (
        "Google Cloud has no capacity for n1-standard-4 in us-central1-a right now "
        "(a zone stockout)."
    )
    assert "us-central1-b, us-central1-c, us-central1-f" in failed.action
    assert "n1-standard-2" in failed.action
    assert STOCKOUT_TEXT in failed.details


def test_transient_after_retries() -> None:
    failed = explain.explain_api_error(gexc.ServiceUnavailable("backend"), "cluster.get", FACTS)
    assert "HTTP 503" in failed.cause and "temporary" in failed.cause
    assert "resume" in failed.action
    failed = explain.explain_api_error(gexc.TooManyRequests("slow down"), "services.list", FACTS)
    assert "HTTP 429" in failed.cause


def test_a_retry_error_is_explained_by_its_cause_naming_the_api() -> None:
    gave_up = gexc.RetryError("Timeout of 20.0s exceeded", gexc.ServiceUnavailable("backend"))
    failed = explain.explain_api_error(gave_up, "cluster.get", FACTS)
    assert failed.cause.startswith(
        "The GKE API (container.googleapis.com) kept answering HTTP 503 (ServiceUnavailable) "
        "while reading the cluster"
    )
    assert "resume" in failed.action
    lost = explain.explain_api_error(ConnectionError("refused"), "services.list", FACTS)
    assert lost.cause.startswith(
        "The Service Usage API (serviceusage.googleapis.com) did not answer (ConnectionError)"
    )


def test_cluster_not_found() -> None:
    failed = explain.explain_api_error(
        gexc.NotFound("Not found: projects/p/locations/l/clusters/c."), "cluster.get", FACTS
    )
    assert failed.cause == (
        "Cluster kubeflow-testing was not found in project my-project at us-central1-a."
    )
    assert "gcloud container clusters list --project=my-project" in failed.action


def test_invalid_location() -> None:
    facts = Facts(project="my-project", location="us-central1-q", cluster="c")
    failed = explain.explain_api_error(
        gexc.BadRequest('Location "us-central1-q" does not exist.'), "cluster.create", facts
    )
    assert "does not accept us-central1-q as a location" in failed.cause
    assert "us-central1-" in failed.cause  # a close spelling is suggested


def test_unknown_error_keeps_the_message() -> None:
    failed = explain.explain_api_error(gexc.Conflict("weird thing"), "cluster.create", FACTS)
    assert "weird thing" in failed.cause and "creating the cluster" in failed.cause


def test_smaller_machine_type() -> None:
    assert explain.smaller_machine_type("e2-standard-8") == "e2-standard-4"
    assert explain.smaller_machine_type("n1-standard-1") is None
    assert explain.smaller_machine_type("c3-standard-8") is None


def test_capacity_errors_are_not_retried() -> None:
    assert explain.is_capacity_error(gexc.ServiceUnavailable(STOCKOUT_TEXT))
    assert explain.is_capacity_error(gexc.TooManyRequests(QUOTA_TEXT))
    assert not explain.is_capacity_error(gexc.ServiceUnavailable("backend error"))


def test_unknown_project_when_listing_services() -> None:
    exc = gexc.Forbidden("Permission denied to list services for consumer [projects/nope-123]")
    failed = explain.explain_api_error(exc, "services.list", Facts(project="nope-123"))
    assert failed.cause == "Project nope-123 does not exist, or your account cannot see it."
    assert "gcloud projects list" in failed.action
