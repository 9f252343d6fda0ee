"""The catalog: the refusal matrix, advisories, and the facts checked against
kfp-manifests.md and the rendered fixtures."""

from __future__ import annotations

from collections import Counter

import pytest

from kfwizard.manifests import catalog, modes, versions
from kfwizard.manifests.analysis import detect_versions, image_tag, images, requests

from .conftest import KFP, kfp_set, need_fixtures

R = catalog.refusals


@pytest.mark.parametrize(
    ("mode", "version", "env", "server", "autopilot", "rules"),
    [
        (
            "kfp-standalone",
            "1.6.0",
            "platform-agnostic",
            "v1.33.5-gke.1080000",
            False,
            ["crd-v1beta1"],
        ),
        ("kfp-standalone", "1.6.0", "platform-agnostic", "1.22", False, ["crd-v1beta1"]),
        ("kfp-standalone", "1.6.0", "platform-agnostic", "v1.21.14-gke.700", False, []),
        ("kfp-standalone", "1.6.0", "dev", None, None, []),
        ("kfp-standalone", "1.8.5", "dev", "1.33", False, []),
        ("kfp-standalone", "2.5.0", "dev", "1.33", False, []),
        ("kfp-standalone", "2.14.0", "dev", None, None, ["dev-master-images"]),
        ("kfp-standalone", "2.14.4", "dev", "1.33", False, ["dev-master-images"]),
        ("kfp-standalone", "2.16.1", "dev", None, None, ["dev-master-images"]),
        ("kfp-standalone", "2.17.0", "dev", None, None, ["dev-master-images"]),
        ("kfp-standalone", "2.17.0", "platform-agnostic", "1.34", True, []),
        ("kfp-standalone", "2.14.4", "gcp", None, None, []),
        ("kfp-standalone", "2.15.0", "gcp", None, None, ["gcp-no-object-store"]),
        ("kfp-standalone", "2.17.0", "gcp", None, None, ["gcp-no-object-store"]),
        ("kfp-gcp", "2.15.0", None, None, None, ["gcp-no-object-store"]),
        ("kfp-gcp", "2.16.0", "gcp", None, None, ["gcp-no-object-store"]),
        ("kfp-gcp", "2.14.4", None, None, None, []),
        ("kfp-gcp", "1.8.5", "platform-agnostic", None, None, []),
        ("kfp-standalone", "1.8.13", None, None, None, ["sdk-only-tag"]),
        ("kfp-standalone", "1.8.22", None, None, None, ["sdk-only-tag"]),
        ("kfp-standalone", "sdk-2.15.0", None, None, None, ["sdk-only-tag"]),
        ("kfp-standalone", "1.8.6", None, None, None, ["no-such-tag"]),
        ("kfp-standalone", "2.6.0", None, None, None, ["no-such-tag"]),
        ("kfp-standalone", "2.13.1", None, None, None, ["no-such-tag"]),
        ("kfp-standalone", "master-55ec846", None, None, None, ["not-a-release"]),
        ("kfp-standalone", "3.0.0", None, None, None, ["unknown-version"]),
        ("kfp-standalone", "2.17.0", "plain", None, None, ["unknown-env"]),
        ("kfp-standalone", "2.17.0", "nonsense", None, None, ["unknown-env"]),
        ("kfp-standalone", "v2.17.0", "platform-agnostic", None, None, []),
        ("kfp-standalone", "1.6.0", "platform-agnostic-pns", "1.20", False, []),
        ("kubeflow", "26.03", "gke", "v1.34.1-gke.1", True, ["kubeflow-autopilot"]),
        ("kubeflow", "26.03", "gke", "v1.34.1-gke.1", False, []),
        ("kubeflow", "26.03", "example", None, True, ["kubeflow-autopilot", "istio-cni-gke"]),
        ("kubeflow", "1.11.0", None, None, None, []),
        ("kubeflow", "27.01", None, None, None, ["unknown-version"]),
        ("kubeflow", "26.03", "weird", None, None, ["unknown-env"]),
        ("kfp-everything", "1", None, None, None, ["unknown-mode"]),
    ],
)
def test_refusal_matrix(
    mode: str,
    version: str,
    env: str | None,
    server: str | None,
    autopilot: bool | None,
    rules: list[str],
) -> None:
    found = R(mode, version, env, server, autopilot)
    assert [r.rule for r in found] == rules
    for refusal in found:
        assert refusal.reason.endswith((".", ")")) and refusal.suggestion


def test_refusal_messages_say_what_to_do() -> None:
    [crd] = R("kfp-standalone", "1.6.0", "dev", "1.33", False)
    assert "apiextensions.k8s.io/v1beta1" in crd.reason and "1.22" in crd.reason
    assert "1.8.5" in crd.suggestion and "2.x" in crd.suggestion
    [unknown] = R("kfp-standalone", "3.0.0", None, None, None)
    assert "2.17.0" in unknown.suggestion and "1.8.5" in unknown.suggestion
    assert "1.8.13" not in unknown.suggestion
    [env] = R("kfp-standalone", "2.17.0", "plain", None, None)
    assert "exists upstream" in env.reason and "platform-agnostic, dev, gcp" in env.suggestion
    [mode] = R("nope", None, None, None, None)
    assert "kfp-standalone, kfp-gcp, kubeflow" in mode.suggestion
    [autopilot] = R("kubeflow", None, None, None, True)
    assert "Standard" in autopilot.suggestion and "NET_ADMIN" in autopilot.reason


def test_an_unknown_version_is_offered_only_what_the_cluster_can_run() -> None:
    """1.6.0's CRDs need Kubernetes older than 1.22: offering it on GKE leads to the next
    refusal, and with the cluster unknown the offer says so."""
    on_gke = R("kfp-standalone", "3.0.0", None, None, None, on_gke=True)[0].suggestion
    assert "1.8.5" in on_gke and "1.6.0" not in on_gke
    newer = R("kfp-standalone", "3.0.0", None, "v1.33.1-gke.1", None)[0].suggestion
    assert "1.6.0" not in newer
    older = R("kfp-standalone", "3.0.0", None, "1.20", False)[0].suggestion
    assert "1.6.0." in older and "only" not in older
    unknown = R("kfp-standalone", "3.0.0", None, None, None)[0].suggestion
    assert "1.6.0 (Kubernetes older than 1.22 only)" in unknown


def test_local_manifests_judge_master_on_the_files() -> None:
    assert R("kfp-standalone", "2.17.0", "dev", None, None, local_manifests=True) == []


def test_never_offered_tags() -> None:
    offered = set(catalog.versions_for("kfp-standalone"))
    for n in range(6, 23):
        assert f"1.8.{n}" not in offered
    wanted = {
        "1.6.0",
        "1.8.5",
        "2.0.5",
        "2.3.0",
        "2.5.0",
        "2.14.0",
        "2.14.3",
        "2.14.4",
        "2.15.0",
        "2.16.0",
        "2.16.1",
        "2.17.0",
    }
    assert offered == wanted
    assert catalog.versions_for("kfp-standalone")[0] == "2.17.0"
    assert "2.15.0" not in catalog.versions_for("kfp-gcp")
    assert catalog.default_version("kfp-gcp") == "2.14.4"
    assert catalog.versions_for("kubeflow") == ("26.03", "v1.11.0", "v1.10.2", "v1.9.1")


@pytest.mark.parametrize(
    ("version", "released"),
    [
        ("1.6.0", "2021-05-24"),
        ("1.8.5", "2022-09-01"),
        ("2.0.5", "2023-12-08"),
        ("2.3.0", "2024-09-06"),
        ("2.5.0", "2025-04-28"),
        ("2.14.0", "2025-08-05"),
        ("2.14.3", "2025-09-02"),
        ("2.14.4", "2025-11-11"),
        ("2.15.0", "2025-11-25"),
        ("2.16.0", "2026-02-25"),
        ("2.16.1", "2026-05-04"),
        ("2.17.0", "2026-07-09"),
    ],
)
def test_release_dates_match_the_notes(version: str, released: str) -> None:
    release = catalog.kfp_release(version)
    assert release is not None and release.released == released


def test_advisories() -> None:
    rules = lambda *a, **k: [x.rule for x in catalog.advisories(*a, **k)]  # noqa: E731
    assert "proxy-blocked-psa" in rules("kfp-standalone", "2.16.0", "dev")
    assert "proxy-needs-gce" in rules("kfp-standalone", "2.5.0", "dev", on_gke=False)
    assert "proxy-autopilot" in rules("kfp-standalone", "2.5.0", "dev", None, True)
    assert "proxy-needs-token" in rules("kfp-standalone", "1.8.5", "dev", on_gke=True)
    assert "docker-executor" in rules("kfp-standalone", "1.6.0", "platform-agnostic")
    assert "docker-executor" not in rules("kfp-standalone", "1.6.0", "platform-agnostic-pns")
    assert "kubernetes-untested" in rules("kfp-standalone", "2.17.0", "platform-agnostic", "1.35")
    assert "kubernetes-untested" not in rules(
        "kfp-standalone", "2.17.0", "platform-agnostic", "1.33"
    )
    assert "kubernetes-below-validated" in rules("kubeflow", "26.03", "gke", "1.32")
    assert "gke-overlay-off-gke" in rules("kubeflow", "26.03", "gke", on_gke=False)
    assert "default-login" in rules("kubeflow", "26.03", None)
    assert "env-ignored" in rules("kfp-gcp", "2.14.4", "dev")
    assert "env-ignored" not in rules("kfp-gcp", "2.14.4", "platform-agnostic")
    assert "default-credentials" in rules("kfp-standalone", "2.17.0", "platform-agnostic")


def test_effective_env() -> None:
    assert catalog.effective_env("kfp-gcp", "2.14.4", None) == ("gcp", None)
    assert catalog.effective_env("kubeflow", "26.03", "platform-agnostic")[0] == "gke"
    assert catalog.effective_env("kfp-standalone", "1.6.0", None)[0] == "platform-agnostic-pns"
    assert catalog.effective_env("kfp-standalone", "2.17.0", None)[0] == "platform-agnostic"
    assert catalog.envs_for("kfp-standalone", "2.17.0") == ("platform-agnostic", "dev", "gcp")
    assert catalog.envs_for("kfp-standalone", "1.6.0")[-1] == "platform-agnostic-pns"


# -- facts against the fixtures ----------------------------------------------------------


def deployment_names(version: str, env: str) -> set[str]:
    return {m.name for m in kfp_set(version, env) if m.kind == "Deployment"}


@pytest.mark.parametrize(
    ("version", "env"),
    [
        ("1.6.0", "platform-agnostic"),
        ("1.6.0", "dev"),
        ("1.6.0", "gcp"),
        ("1.8.5", "platform-agnostic"),
        ("1.8.5", "dev"),
        ("1.8.5", "gcp"),
        ("2.17.0", "platform-agnostic"),
        ("2.17.0", "dev"),
        ("2.17.0", "gcp"),
    ],
)
def test_critical_and_warn_only_cover_the_fixture_deployments(version: str, env: str) -> None:
    roles = catalog.deployment_roles("kfp-standalone", version, env)
    assert roles.namespace == "kubeflow"
    assert not set(roles.critical) & set(roles.warn_only)
    assert set(roles.critical) | set(roles.warn_only) == deployment_names(version, env)
    assert {"ml-pipeline", "ml-pipeline-ui", "workflow-controller"} <= set(roles.critical)
    assert "cache-server" in roles.warn_only


def test_kubeflow_critical_workloads_exist(kubeflow_objects: list) -> None:
    present = {(m.namespace, m.name) for m in kubeflow_objects if m.kind == "Deployment"}
    assert set(catalog.KUBEFLOW_CRITICAL) <= present


@pytest.mark.parametrize(
    "name",
    sorted(p.relative_to(KFP).as_posix() for p in KFP.glob("*/env-*.yaml")) if KFP.is_dir() else [],
)
def test_requests_table_matches_the_renders(name: str) -> None:
    version, file = name.split("/")
    env = file[len("env-") : -len(".yaml")]
    table = versions.KFP_REQUESTS[version]
    if env not in table:
        pytest.skip(f"{name} is not in the §11 table")
    from kfwizard.manifests.objects import parse_file

    found = requests(parse_file(KFP / name))
    assert (found.cpu_m, found.memory_mib) == table[env]
    needs = catalog.resource_needs("kfp-standalone", version, env)
    assert (needs.cpu_m, needs.memory_mib, needs.exact) == (*table[env], True)


@pytest.mark.parametrize("version", ["1.6.0", "1.8.5", "2.17.0"])
def test_release_facts_match_the_renders(version: str) -> None:
    release = catalog.kfp_release(version)
    assert release is not None
    cluster = kfp_set(version, "platform-agnostic")
    crd_versions = {m.api_version for m in cluster if m.kind == "CustomResourceDefinition"}
    assert crd_versions == {release.crd_api}
    objs = {(m.kind, m.name): m for m in cluster}
    controller = objs[("Deployment", "workflow-controller")]
    image = controller.obj["spec"]["template"]["spec"]["containers"][0]["image"]
    assert (image_tag(image) or "").startswith(release.argo_version)
    store = "minio" if release.minio else "seaweedfs"
    assert ("Deployment", store) in objs
    assert ("Deployment", "seaweedfs" if release.minio else "minio") not in objs
    api = detect_versions(cluster)
    assert api["app_version"] == version
    assert (api["api_server_image"] or "").startswith(release.image_prefix)
    mysql = objs[("Deployment", "mysql")].obj["spec"]["template"]["spec"]["containers"][0]["image"]
    assert mysql == release.mysql_image
    namespace = objs[("Namespace", "kubeflow")]
    enforced = namespace.labels.get("pod-security.kubernetes.io/enforce")
    assert (enforced == "baseline") == release.psa_baseline
    dev_tags = {
        image_tag(i) for i in images(kfp_set(version, "dev")) if i.startswith(release.image_prefix)
    }
    assert (dev_tags == {"master"}) == release.dev_pins_master
    gcp = {m.name for m in kfp_set(version, "gcp") if m.kind == "Deployment"}
    assert ("minio" in gcp) == release.gcp_has_object_store
    for path in (KFP / version).glob("env-*.yaml"):
        env = path.stem[len("env-") :]
        assert (
            env in release.envs or env.replace("cert-manager-", "cert-manager/", 1) in release.envs
        )


def test_argo_refs_and_remote_bases() -> None:
    for release in versions.KFP_RELEASES:
        assert release.remote_bases == (release.argo_ref is not None)
        assert release.remote_bases == (catalog.vtuple(release.version) >= (2, 14))
        assert release.object_store == (
            "minio" if catalog.vtuple(release.version) < (2, 15) else "seaweedfs"
        )
        assert release.envs_complete or set(versions.KFP_TARGETS_CORE) <= set(release.envs)
        assert release.recommended_env in catalog.envs_for("kfp-standalone", release.version)


def test_sdk_lines() -> None:
    assert catalog.sdk_line("kfp-standalone", "1.6.0") == 'pip install "kfp==1.8.22"'
    assert catalog.sdk_line("kfp-standalone", "1.8.5") == 'pip install "kfp==1.8.22"'
    assert catalog.sdk_requirement("kfp-standalone", "2.17.0") == "kfp==2.17.0"
    assert catalog.sdk_requirement("kfp-standalone", "2.15.0") == "kfp==2.15.0"
    assert catalog.sdk_requirement("kfp-standalone", "2.14.3") == "kfp~=2.14.0"
    assert catalog.sdk_requirement("kubeflow", "26.03") == "kfp~=2.16.0"
    for release in versions.KFP_RELEASES:
        assert release.sdk.startswith("kfp==1.8" if release.major == 1 else ("kfp==2", "kfp~=2"))
        assert release.sdk_source


def test_services_per_mode() -> None:
    assert catalog.services_for_mode("kfp-standalone") == (
        ("compute.googleapis.com", "container.googleapis.com"),
        (),
    )
    required, optional = catalog.services_for_mode("kfp-gcp")
    assert {"sqladmin.googleapis.com", "storage.googleapis.com", "iam.googleapis.com"} <= set(
        required
    )
    required, optional = catalog.services_for_mode("kubeflow")
    design = {
        "compute",
        "container",
        "iam",
        "servicemanagement",
        "cloudresourcemanager",
        "ml",
        "iap",
        "sqladmin",
        "meshconfig",
    }
    assert {s.split(".")[0] for s in (*required, *optional)} == design
    assert set(required) == {"compute.googleapis.com", "container.googleapis.com"}
    with pytest.raises(KeyError):
        catalog.services_for_mode("nope")


def test_resource_needs_and_cluster_floor() -> None:
    kfp = catalog.resource_needs("kfp-standalone")
    assert (kfp.cpu_m, kfp.memory_mib) == (674, 3126)
    assert (kfp.min_allocatable_cpu_m, kfp.min_allocatable_memory_mib) == (2000, 6144)
    assert (kfp.recommended_nodes, kfp.recommended_machine) == (3, "e2-standard-2")
    approx = catalog.resource_needs("kfp-standalone", "2.16.0", "platform-agnostic")
    assert approx.exact is False and approx.cpu_m == 674
    gcp = catalog.resource_needs("kfp-gcp", "2.14.4")
    assert gcp.disk_gib == 0 and (gcp.cpu_m, gcp.memory_mib) == (630, 2115)
    full = catalog.resource_needs("kubeflow")
    assert full.cpu_m == 6200 and full.min_allocatable_cpu_m == 8000
    assert full.recommended_machine == "e2-standard-4"


def test_kubeflow_render_requests_match_the_notes(kubeflow_objects: list) -> None:
    found = requests(kubeflow_objects)
    assert round(found.cpu_m / 1000, 1) == 3.0 and round(found.memory_mib / 1024, 1) == 7.0
    assert found.per_node == ["kube-system/istio-cni-node"]


def test_third_party_parts() -> None:
    names = lambda *a, **k: [p.name for p in modes.third_party_parts(*a, **k)]  # noqa: E731
    assert names("kfp-standalone", minio=True) == [
        "Argo Workflows",
        "Envoy",
        "MinIO",
        "MySQL",
        "ML Metadata",
    ]
    assert "SeaweedFS" in names("kfp-standalone", minio=False)
    assert "Application controller" in names("kfp-standalone", minio=False, env="dev")
    assert "MinIO (GCS gateway)" in names("kfp-gcp", minio=True)
    assert {"Istio", "Knative Serving", "cert-manager", "Dex", "oauth2-proxy"} <= set(
        names("kubeflow", minio=False)
    )
    for part in modes.third_party_parts("kubeflow", minio=False):
        assert part.sentence.endswith(".") and part.sentence.count(". ") <= 1


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("my-project:us-central1:kfp-db", True),
        ("example.com:my-project:europe-west4:db1", True),
        ("my-project:us-central1", False),
        ("my-project/us-central1/kfp-db", False),
        ("My-Project:us-central1:kfp-db", False),
        ("my-project:central:kfp-db", False),
        ("my-project:us-central1:1db", False),
        ("", False),
        (None, False),
    ],
)
def test_cloudsql_connection_name(value: object, ok: bool) -> None:
    assert (catalog.cloudsql_connection_problem(value) is None) == ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("my-bucket", True),
        ("a.b.c", True),
        ("gs://my-bucket", False),
        ("My-Bucket", False),
        ("ab", False),
        ("goog-bucket", False),
        ("my-google-bucket", False),
        ("-bad", False),
        ("x" * 64, False),
        ("192.168.1.1", False),
    ],
)
def test_bucket_names(value: str, ok: bool) -> None:
    assert (catalog.bucket_problem(value) is None) == ok


def test_gcp_input_problems_name_the_field() -> None:
    problems = catalog.gcp_input_problems(
        {"bucket": "gs://x", "cloudsql_instance": "nope", "db_user": "root", "password": "hunter2"}
    )
    fields = [p[0] for p in problems]
    assert fields == [
        "deployment.gcp.password",
        "deployment.gcp.bucket",
        "deployment.gcp.cloudsql_instance",
    ]
    assert (
        catalog.gcp_input_problems({"bucket": "b-1", "cloudsql_instance": "p-1234:us-east1:db"})
        == []
    )


def test_archive_url_override() -> None:
    assert catalog.archive_url("kfp-standalone", "2.17.0") == (
        "https://github.com/kubeflow/pipelines/archive/refs/tags/2.17.0.tar.gz"
    )
    assert catalog.archive_url("kubeflow", "26.03") == (
        "https://github.com/kubeflow/manifests/archive/refs/tags/26.03.tar.gz"
    )
    env = {"KFWIZARD_RELEASES_URL": "http://127.0.0.1:9/r/"}
    assert (
        catalog.archive_url("kfp-standalone", "1.8.5", env) == "http://127.0.0.1:9/r/1.8.5.tar.gz"
    )


def test_explain_texts() -> None:
    text = catalog.explain("kfp-standalone", "2.17.0", "platform-agnostic")
    for piece in (
        "Argo Workflows v4.0.5",
        "SeaweedFS",
        'pip install "kfp==2.17.0"',
        "container.googleapis.com (required)",
        "3 x e2-standard-2",
        "needs git",
    ):
        assert piece in text
    assert "Not possible" not in text
    old = catalog.explain("kfp-standalone", "1.6.0", "dev")
    assert "MinIO" in old and "Good to know" in old
    refused = catalog.explain("kfp-standalone", "2.17.0", "dev")
    assert "Not possible" in refused and ":master" in refused
    full = catalog.explain("kubeflow")
    for piece in (
        "Istio",
        "Dex",
        "Knative",
        "1.34",
        "iap.googleapis.com (optional)",
        "user@example.com",
    ):
        assert piece in full
    assert catalog.explain("nope").startswith("Unknown mode")
    facts = catalog.describe("kfp-standalone", "2.16.0")
    assert facts["inverse_proxy"].startswith("blocked") and facts["needs_git"] is True
    assert catalog.describe("kubeflow", "26.03")["kfp_version"] == "2.16.0"


def test_fixture_readme_env_counts_agree_with_catalog_envs() -> None:
    need_fixtures()
    envs = Counter(p.parent.name for p in KFP.glob("*/env-*.yaml"))
    assert envs == {"1.6.0": 4, "1.8.5": 3, "2.17.0": 8}


def test_latest_means_the_default_version() -> None:
    assert catalog.normalise_version("kfp-standalone", "latest") == "2.17.0"
    assert catalog.normalise_version("kfp-gcp", "Latest") == "2.14.4"
    assert catalog.normalise_version("kubeflow", None) == "26.03"
    assert R("kfp-standalone", "latest", "platform-agnostic", None, None) == []
