"""The three deployment modes: what each installs, which Google APIs it needs, and the
third-party parts it brings, each explained in one sentence.

People were surprised by how many moving parts a KFP install has (design.md: "many
dependencies"); the mode screen names every one before anything is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

KFP_STANDALONE = "kfp-standalone"
KFP_GCP = "kfp-gcp"
KUBEFLOW = "kubeflow"
MODES: tuple[str, ...] = (KFP_STANDALONE, KFP_GCP, KUBEFLOW)

MODE_TITLES: dict[str, str] = {
    KFP_STANDALONE: "Kubeflow Pipelines (standalone)",
    KFP_GCP: "Kubeflow Pipelines with Cloud SQL and Cloud Storage",
    KUBEFLOW: "Full Kubeflow platform",
}

MODE_SUMMARIES: dict[str, str] = {
    KFP_STANDALONE: (
        "Only Kubeflow Pipelines, in the kubeflow namespace, with its database and "
        "artifact store inside the cluster. The smallest install; data lives on two "
        "20 GiB disks and goes away with the namespace."
    ),
    KFP_GCP: (
        "Kubeflow Pipelines whose database is a Cloud SQL (MySQL) instance and whose "
        "artifacts go to a Cloud Storage bucket (env/gcp), so data outlives the "
        "cluster. You create the instance and bucket; the wizard asks for the database "
        "password at run time and keeps it only in the cluster Secret."
    ),
    KUBEFLOW: (
        "The whole Kubeflow platform from kubeflow/manifests: dashboard, notebooks, "
        "pipelines, Katib, KServe, Trainer and Spark, behind Istio with Dex login. "
        "About ten times the objects of KFP alone; needs a GKE Standard cluster."
    ),
}

# env/ targets each mode offers in the wizard (intersected with what a tag has).
KFP_OFFERED_ENVS: tuple[str, ...] = ("platform-agnostic", "dev", "gcp")
KFP_EXTRA_ENVS: dict[str, tuple[str, ...]] = {"1.6.0": ("platform-agnostic-pns",)}
KUBEFLOW_ENVS: tuple[str, ...] = ("gke", "example")
"""``gke``: kubeflow/manifests ``example`` with the GKE Istio overlay (CNI binaries in
``/home/kubernetes/bin``, since ``/opt/cni/bin`` is read-only on GKE); ``example``: the
upstream default, for clusters other than GKE."""

ENV_DESCRIPTIONS: dict[str, str] = {
    "platform-agnostic": (
        "KFP with in-cluster MySQL and object store; runs on any cluster. Open the UI "
        "with a port-forward."
    ),
    "platform-agnostic-pns": (
        "platform-agnostic with Argo's pns executor instead of docker (1.6.0 only); needed "
        "on nodes without Docker."
    ),
    "dev": (
        "platform-agnostic plus the Application resource, its controller, and the GCP "
        "inverse proxy (proxy-agent) that publishes a public googleusercontent.com URL."
    ),
    "gcp": (
        "dev without in-cluster MySQL and disks: a Cloud SQL proxy in front of your Cloud "
        "SQL instance, and artifacts in Cloud Storage."
    ),
    "gke": 'kubeflow/manifests "example" with Istio\'s GKE overlay (the right choice on GKE).',
    "example": 'kubeflow/manifests "example" as published (not for GKE: Istio CNI fails).',
}


@dataclass(frozen=True)
class Service:
    """One Google API a mode uses; ``required`` False means warn when off, never block."""

    api: str
    required: bool
    why: str


_COMPUTE = Service("compute.googleapis.com", True, "GKE nodes are Compute Engine VMs.")
_CONTAINER = Service("container.googleapis.com", True, "GKE itself: creates and runs the cluster.")

SERVICES: dict[str, tuple[Service, ...]] = {
    KFP_STANDALONE: (_COMPUTE, _CONTAINER),
    KFP_GCP: (
        _COMPUTE,
        _CONTAINER,
        Service(
            "sqladmin.googleapis.com",
            True,
            "The Cloud SQL proxy connects to your instance through the Cloud SQL Admin API.",
        ),
        Service("storage.googleapis.com", True, "Pipeline artifacts are stored in your bucket."),
        Service(
            "iam.googleapis.com",
            True,
            "Service accounts (Workload Identity) give the pods access to Cloud SQL and GCS.",
        ),
    ),
    KUBEFLOW: (
        _COMPUTE,
        _CONTAINER,
        Service(
            "iam.googleapis.com", False, "Workload Identity, only if pods must call Google APIs."
        ),
        Service(
            "servicemanagement.googleapis.com",
            False,
            "Cloud Endpoints, only for an IAP-protected public URL (the old GCP distribution).",
        ),
        Service(
            "cloudresourcemanager.googleapis.com",
            False,
            "Project lookups by the old GCP distribution's tooling.",
        ),
        Service(
            "ml.googleapis.com",
            False,
            "AI Platform Training & Prediction, only for old Google pipeline components.",
        ),
        Service(
            "iap.googleapis.com",
            False,
            "Identity-Aware Proxy, only if IAP replaces the bundled Dex login.",
        ),
        Service(
            "sqladmin.googleapis.com",
            False,
            "Cloud SQL, only if the databases move out of the cluster.",
        ),
        Service(
            "meshconfig.googleapis.com",
            False,
            "Managed service mesh, only if it replaces the bundled Istio.",
        ),
    ),
}


@dataclass(frozen=True)
class ThirdPartyPart:
    """Software from outside the KFP repository that a mode installs."""

    name: str
    sentence: str


ARGO = ThirdPartyPart(
    "Argo Workflows",
    "Runs each pipeline step as a pod: KFP turns a pipeline run into an Argo Workflow "
    "and Argo's workflow-controller executes it.",
)
ENVOY = ThirdPartyPart(
    "Envoy",
    "A gRPC-web proxy (metadata-envoy) so the UI in your browser can read ML Metadata.",
)
MINIO = ThirdPartyPart(
    "MinIO",
    "An S3-compatible object store inside the cluster that keeps pipeline artifacts "
    "(inputs, outputs, logs) on a 20 GiB disk.",
)
MINIO_GCS = ThirdPartyPart(
    "MinIO (GCS gateway)",
    "Speaks S3 to KFP and Argo but stores the artifacts in your Cloud Storage bucket.",
)
SEAWEEDFS = ThirdPartyPart(
    "SeaweedFS",
    "An S3-compatible object store inside the cluster (MinIO's replacement since KFP "
    "2.15) that keeps pipeline artifacts on a 20 GiB disk.",
)
MYSQL = ThirdPartyPart(
    "MySQL",
    "The database for pipelines, runs, experiments, the cache and ML Metadata, on a 20 GiB disk.",
)
MLMD = ThirdPartyPart(
    "ML Metadata",
    "Google's lineage store (from TFX): records which artifacts each step read and wrote.",
)
CLOUDSQL_PROXY = ThirdPartyPart(
    "Cloud SQL Auth proxy",
    "Runs in the cluster behind a Service named `mysql` and connects KFP to your Cloud "
    "SQL instance with Google credentials.",
)
APP_CONTROLLER = ThirdPartyPart(
    "Application controller",
    "The Kubernetes SIG Apps controller that tracks the `Application` resource (env/dev "
    "and env/gcp only); it reports the install's readiness.",
)
ISTIO = ThirdPartyPart(
    "Istio",
    "The service mesh: the ingress gateway every request enters through, mutual TLS "
    "between pods, and the authorization rules that separate users.",
)
KNATIVE = ThirdPartyPart(
    "Knative Serving",
    "Scales KServe model servers with traffic, down to zero.",
)
CERT_MANAGER = ThirdPartyPart(
    "cert-manager",
    "Issues the TLS certificates the admission webhooks of the other components need.",
)
DEX = ThirdPartyPart(
    "Dex",
    "The login page and identity provider (user@example.com by default; change its password).",
)
OAUTH2_PROXY = ThirdPartyPart(
    "oauth2-proxy",
    "Checks every request at the gateway and sends people without a session to Dex.",
)
METACONTROLLER = ThirdPartyPart(
    "Metacontroller",
    "Runs KFP's profile controller, which sets up pipeline access in each user namespace.",
)


def third_party_parts(
    mode: str, *, minio: bool, env: str | None = None
) -> tuple[ThirdPartyPart, ...]:
    """The outside software ``mode`` installs; ``minio`` picks MinIO (up to 2.14) over SeaweedFS."""
    store = MINIO if minio else SEAWEEDFS
    if mode == KFP_GCP:
        return (ARGO, ENVOY, MLMD, CLOUDSQL_PROXY, *((MINIO_GCS,) if minio else ()), APP_CONTROLLER)
    if mode == KUBEFLOW:
        return (
            ISTIO,
            KNATIVE,
            CERT_MANAGER,
            DEX,
            OAUTH2_PROXY,
            ARGO,
            ENVOY,
            SEAWEEDFS,
            MYSQL,
            MLMD,
            METACONTROLLER,
        )
    parts = (ARGO, ENVOY, store, MYSQL, MLMD)
    return (*parts, APP_CONTROLLER) if env in ("dev", "gcp") else parts


KUBEFLOW_COMPONENTS: tuple[str, ...] = (
    "Central dashboard, Profiles and access management",
    "Notebooks (Jupyter web app and notebook controller), Tensorboards, Volumes, PVC viewer",
    "Kubeflow Pipelines",
    "Katib (hyperparameter tuning)",
    "KServe (model serving) and its models web app",
    "Trainer with JobSet (distributed training)",
    "Spark operator",
)
