"""The release facts the wizard decides with: one row per KFP backend tag it offers, one
per Kubeflow platform release.

These are data, not code, so they can be read and checked against the sources in one
place. Unless a comment says otherwise, every value comes from the research notes
``shared/docs/kfp-manifests.md`` (KFP tags read with git, renders with kubectl v1.32.4 /
kustomize v5.5.0) and ``shared/docs/kubeflow-manifests.md``. Values the notes do not
state are marked ``(inferred)`` or ``(looked up)`` with their source.
"""

from __future__ import annotations

from dataclasses import dataclass

# -- KFP standalone -------------------------------------------------------------------

KFP_TARGETS_1_6 = (
    "aws",
    "azure",
    "dev",
    "gcp",
    "platform-agnostic",
    "platform-agnostic-pns",
    "platform-agnostic-multi-user",
    "platform-agnostic-multi-user-legacy",
    "platform-agnostic-multi-user-pns",
)
KFP_TARGETS_1_8 = (
    *KFP_TARGETS_1_6,
    "platform-agnostic-emissary",
    "platform-agnostic-multi-user-emissary",
    "cert-manager/base",
    "cert-manager/cluster-scoped-resources",
    "cert-manager/dev",
    "cert-manager/platform-agnostic-multi-user",
)
KFP_TARGETS_2_3 = (
    "aws",
    "azure",
    "dev",
    "gcp",
    "plain",
    "plain-multi-user",
    "platform-agnostic",
    "platform-agnostic-emissary",
    "platform-agnostic-multi-user",
    "platform-agnostic-multi-user-emissary",
    "platform-agnostic-multi-user-legacy",
    "platform-agnostic-postgresql",
    "platform-agnostic-tekton",
    "platform-agnostic-tekton-multi-user",
)
KFP_TARGETS_2_17 = (
    "cert-manager/base",
    "cert-manager/base-tls-certs",
    "cert-manager/base-webhook-certs",
    "cert-manager/cluster-scoped-resources",
    "cert-manager/dev",
    "cert-manager/platform-agnostic-k8s-native",
    "cert-manager/platform-agnostic-multi-user",
    "cert-manager/platform-agnostic-multi-user-k8s-native",
    "cert-manager/platform-agnostic-standalone-tls",
    "dev",
    "dev-kind",
    "gcp",
    "openshift/base",
    "plain",
    "plain-multi-user",
    "platform-agnostic",
    "platform-agnostic-multi-user",
    "platform-agnostic-postgresql",
)
# Where the notes only confirm some targets, these three are certain for every tag
# (the documented recipes use them from 1.x to 2.17.0).
KFP_TARGETS_CORE = ("dev", "gcp", "platform-agnostic")


@dataclass(frozen=True)
class KfpRelease:
    """One KFP backend tag and what is true of its ``manifests/kustomize``."""

    version: str
    released: str
    """Tag commit date (ISO)."""
    commit: str | None
    envs: tuple[str, ...]
    """``env/`` targets known to exist at this tag."""
    envs_complete: bool
    """True when ``envs`` lists every target of the tag (read from git), not just some."""
    recommended_env: str
    k8s_min: str
    """Oldest Kubernetes whose APIs the manifests use (below: warn)."""
    k8s_max_exclusive: str | None
    """First Kubernetes minor the manifests cannot be applied to (refused)."""
    k8s_tested: tuple[str, str] | None
    """Upstream CI's low/high Kubernetes, when known (outside: warn)."""
    remote_bases: bool
    """kustomizations pull Argo from github.com (rendering needs git and network)."""
    argo_version: str
    argo_ref: str | None
    """The ``?ref=`` of the remote Argo bases (2.14+)."""
    object_store: str
    """``minio`` (up to 2.14) or ``seaweedfs`` (2.15 on)."""
    executor: str
    """Argo's default executor: ``docker`` fails on containerd nodes (GKE >= 1.24)."""
    dev_pins_master: bool
    """``env/dev`` overrides every KFP image to ``:master`` (PR #11977, 2.14+)."""
    psa_baseline: bool
    """The ``kubeflow`` Namespace enforces PSA ``baseline``, which forbids the
    ``hostNetwork`` proxy-agent (2.16+, inferred from the render)."""
    gcp_has_object_store: bool
    """``env/gcp`` still runs MinIO as a GCS gateway (up to 2.14; gone in 2.15)."""
    crd_api: str
    """apiVersion of the CustomResourceDefinitions."""
    image_prefix: str
    """KFP's own images: ``gcr.io/ml-pipeline/<c>`` up to 2.3.0, ``ghcr.io/kubeflow/kfp-<c>``
    from 2.4.0."""
    mysql_image: str | None
    sdk: str
    """The pip requirement of the matching SDK."""
    sdk_source: str
    """Where the SDK pairing comes from."""

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    @property
    def minio(self) -> bool:
        return self.object_store == "minio"


_V1_SDK = "kfp==1.8.22"
_V1_SDK_SOURCE = (
    "kubeflow.org legacy-v1 pages: the final release of the V1 SDK was kfp==1.8.22; "
    "the version-compatibility page pairs runtime 1.8.* with SDK 1.8.*"
)
_ALIGNED = (
    "kfp-manifests.md §1: from 2.14.0 the backend version lines up with the SDK "
    "(sdk-* tags; e.g. release sdk-2.15.0 says pip install kfp==2.15.0)"
)
# Upstream CI Kubernetes pairs (looked up): kubeflow/pipelines#12312 (2025-10) tests
# v1.29.2 and v1.31.0; kubeflow/pipelines#13457 (2026-05) says v1.29.2 and v1.34.0.
_CI_2025 = ("1.29", "1.31")
_CI_2026 = ("1.29", "1.34")

KFP_RELEASES: tuple[KfpRelease, ...] = (
    KfpRelease(
        version="1.6.0",
        released="2021-05-24",
        commit="1c66f93f",
        envs=KFP_TARGETS_1_6,
        envs_complete=True,
        # Argo v2.12.9 defaults to the docker executor; -pns avoids it.
        recommended_env="platform-agnostic-pns",
        # (inferred) The API floor is lower; 1.16 is the oldest minor of that era's GKE.
        k8s_min="1.16",
        k8s_max_exclusive="1.22",
        k8s_tested=None,
        remote_bases=False,
        argo_version="v2.12.9",
        argo_ref=None,
        object_store="minio",
        executor="docker",
        dev_pins_master=False,
        psa_baseline=False,
        gcp_has_object_store=True,
        crd_api="apiextensions.k8s.io/v1beta1",
        image_prefix="gcr.io/ml-pipeline/",
        mysql_image="gcr.io/ml-pipeline/mysql:5.7",
        sdk=_V1_SDK,
        sdk_source=_V1_SDK_SOURCE,
    ),
    KfpRelease(
        version="1.8.5",
        released="2022-09-01",
        commit="8382cb02",
        envs=KFP_TARGETS_1_8,
        envs_complete=True,
        recommended_env="platform-agnostic",
        # certificates.k8s.io/v1 (cache-deployer's CSR) and seccompProfile fields: 1.19.
        k8s_min="1.19",
        k8s_max_exclusive=None,
        k8s_tested=None,
        remote_bases=False,
        argo_version="v3.3.8",
        argo_ref=None,
        object_store="minio",
        executor="emissary",
        dev_pins_master=False,
        psa_baseline=False,
        gcp_has_object_store=True,
        crd_api="apiextensions.k8s.io/v1",
        image_prefix="gcr.io/ml-pipeline/",
        mysql_image="gcr.io/ml-pipeline/mysql:5.7-debian",
        sdk=_V1_SDK,
        sdk_source=_V1_SDK_SOURCE,
    ),
    KfpRelease(
        version="2.0.5",
        released="2023-12-08",
        commit="c5658f09",
        envs=(*KFP_TARGETS_CORE, "platform-agnostic-postgresql"),
        envs_complete=False,
        recommended_env="platform-agnostic",
        k8s_min="1.19",
        k8s_max_exclusive=None,
        k8s_tested=None,
        remote_bases=False,
        argo_version="v3.3.10",
        argo_ref=None,
        object_store="minio",
        executor="emissary",
        dev_pins_master=False,
        psa_baseline=False,
        gcp_has_object_store=True,
        crd_api="apiextensions.k8s.io/v1",
        image_prefix="gcr.io/ml-pipeline/",
        mysql_image="gcr.io/ml-pipeline/mysql:8.0.26",
        # (looked up) kubeflow.org "Version Compatibility": runtime v2.0.* <-> SDK v2.0.*;
        # 2.0.1 is the last 2.0.x SDK on PyPI/conda-forge.
        sdk="kfp==2.0.1",
        sdk_source="kubeflow.org Version Compatibility (runtime 2.0.* / SDK 2.0.*)",
    ),
    KfpRelease(
        version="2.3.0",
        released="2024-09-06",
        commit="4467df5f",
        envs=KFP_TARGETS_2_3,
        envs_complete=False,
        recommended_env="platform-agnostic",
        k8s_min="1.19",
        k8s_max_exclusive=None,
        k8s_tested=None,
        remote_bases=False,
        argo_version="v3.4.17",
        argo_ref=None,
        object_store="minio",
        executor="emissary",
        dev_pins_master=False,
        psa_baseline=False,
        gcp_has_object_store=True,
        crd_api="apiextensions.k8s.io/v1",
        image_prefix="gcr.io/ml-pipeline/",
        mysql_image="gcr.io/ml-pipeline/mysql:8.0.26",
        # (looked up) kfp 2.9.0 is the SDK released with backend 2.3.0 (PyPI, September
        # 2024; conda-forge lists 2.8.0 in June 2024 and 2.9.0 next).
        sdk="kfp==2.9.0",
        sdk_source="PyPI release history (SDK 2.9.0 shipped with backend 2.3.0)",
    ),
    KfpRelease(
        version="2.5.0",
        released="2025-04-28",
        commit=None,
        envs=KFP_TARGETS_CORE,
        envs_complete=False,
        recommended_env="platform-agnostic",
        k8s_min="1.19",
        k8s_max_exclusive=None,
        k8s_tested=None,
        remote_bases=False,
        # (looked up) KFP 2.5 moved to Argo 3.5 (kubeflow/pipelines#11783;
        # canonical/bundle-kubeflow#1314); third_party/argo/VERSION of that time: v3.5.14.
        argo_version="v3.5.14",
        argo_ref=None,
        object_store="minio",
        executor="emissary",
        dev_pins_master=False,
        psa_baseline=False,
        gcp_has_object_store=True,
        crd_api="apiextensions.k8s.io/v1",
        image_prefix="ghcr.io/kubeflow/kfp-",
        mysql_image=None,
        # (looked up) conda-forge: kfp 2.13.0 and kfp-server-api 2.5.0 both 2025-04-29.
        sdk="kfp==2.13.0",
        sdk_source="conda-forge/PyPI: kfp 2.13.0 released with kfp-server-api 2.5.0",
    ),
    *(
        KfpRelease(
            version=v,
            released=d,
            commit=None,
            envs=KFP_TARGETS_CORE,
            envs_complete=False,
            recommended_env="platform-agnostic",
            k8s_min="1.19",
            k8s_max_exclusive=None,
            k8s_tested=_CI_2025,
            remote_bases=True,
            argo_version="v3.6.7",
            argo_ref="v3.6.7",
            object_store="minio",
            executor="emissary",
            dev_pins_master=True,
            psa_baseline=False,
            gcp_has_object_store=True,
            crd_api="apiextensions.k8s.io/v1",
            image_prefix="ghcr.io/kubeflow/kfp-",
            mysql_image=None,
            sdk="kfp~=2.14.0",
            sdk_source=_ALIGNED,
        )
        for v, d in (("2.14.0", "2025-08-05"), ("2.14.3", "2025-09-02"), ("2.14.4", "2025-11-11"))
    ),
    KfpRelease(
        version="2.15.0",
        released="2025-11-25",
        commit=None,
        envs=(*KFP_TARGETS_CORE, "platform-agnostic-minio", "platform-agnostic-multi-user-minio"),
        envs_complete=False,
        recommended_env="platform-agnostic",
        k8s_min="1.19",
        k8s_max_exclusive=None,
        k8s_tested=_CI_2025,
        remote_bases=True,
        argo_version="v3.7.3",
        argo_ref="v3.7.3",
        object_store="seaweedfs",
        executor="emissary",
        dev_pins_master=True,
        psa_baseline=False,
        gcp_has_object_store=False,
        crd_api="apiextensions.k8s.io/v1",
        image_prefix="ghcr.io/kubeflow/kfp-",
        mysql_image=None,
        sdk="kfp==2.15.0",
        sdk_source="GitHub release sdk-2.15.0: pip install kfp==2.15.0",
    ),
    *(
        KfpRelease(
            version=v,
            released=d,
            commit=None,
            envs=KFP_TARGETS_CORE,
            envs_complete=False,
            recommended_env="platform-agnostic",
            k8s_min="1.19",
            k8s_max_exclusive=None,
            k8s_tested=_CI_2026,
            remote_bases=True,
            argo_version="v3.7.3",
            argo_ref="v3.7.3",
            object_store="seaweedfs",
            executor="emissary",
            dev_pins_master=True,
            psa_baseline=True,
            gcp_has_object_store=False,
            crd_api="apiextensions.k8s.io/v1",
            image_prefix="ghcr.io/kubeflow/kfp-",
            mysql_image=None,
            sdk="kfp~=2.16.0",
            sdk_source=_ALIGNED,
        )
        for v, d in (("2.16.0", "2026-02-25"), ("2.16.1", "2026-05-04"))
    ),
    KfpRelease(
        version="2.17.0",
        released="2026-07-09",
        commit="4a3592cb",
        envs=KFP_TARGETS_2_17,
        envs_complete=True,
        recommended_env="platform-agnostic",
        k8s_min="1.19",
        k8s_max_exclusive=None,
        k8s_tested=_CI_2026,
        remote_bases=True,
        argo_version="v4.0.5",
        argo_ref="v4.0.5",
        object_store="seaweedfs",
        executor="emissary",
        dev_pins_master=True,
        psa_baseline=True,
        gcp_has_object_store=False,
        crd_api="apiextensions.k8s.io/v1",
        image_prefix="ghcr.io/kubeflow/kfp-",
        mysql_image="mysql:8.4",
        sdk="kfp==2.17.0",
        sdk_source="GitHub release sdk-2.17.0-1 (2026-07-09): pip install kfp==2.17.0",
    ),
)

KFP_BY_VERSION: dict[str, KfpRelease] = {r.version: r for r in KFP_RELEASES}
DEFAULT_KFP_VERSION = "2.17.0"

SDK_ONLY_TAGS = tuple(f"1.8.{n}" for n in range(13, 23))
"""1.8.13 ... 1.8.22: SDK releases whose manifests still pin 1.7.0 images and a v1beta1 CRD."""
MISSING_1_8_TAGS = tuple(f"1.8.{n}" for n in range(6, 13))
"""1.8.6 ... 1.8.12 were never tagged."""
MISSING_2_X_MINORS = tuple(range(6, 14))
"""No backend tags 2.6 ... 2.13: the backend jumped from 2.5.0 to 2.14.0 to match the SDK."""


# -- Kubeflow platform (kubeflow/manifests, being renamed community-distribution) -----


@dataclass(frozen=True)
class KubeflowRelease:
    """One ``kubeflow/manifests`` release tag, rendered from its ``example`` kustomization."""

    tag: str
    released: str
    commit: str | None
    k8s_validated: str
    """The website's "validated" Kubernetes for the release (older: warn)."""
    kustomize: str
    istio: str
    cert_manager: str
    dex: str
    knative: str | None
    oauth2_proxy: str | None
    kfp_version: str | None
    """The KFP backend inside (from ``pipeline-install-config.appVersion``), when known."""
    remote_refs: bool | None
    """``example`` reaches remote resources (git + network to render); None: not checked."""
    objects: int | None
    istio_cni: bool | None
    """Istio runs the CNI node agent (a DaemonSet), which needs the GKE overlay; None:
    not checked."""
    recommended_cpu_m: int
    recommended_memory_mib: int
    """The README's recommendation for the single-command install."""


KUBEFLOW_RELEASES: tuple[KubeflowRelease, ...] = (
    KubeflowRelease(
        tag="26.03",
        released="2026-03-21",
        commit="d68ebc7f",
        k8s_validated="1.34",
        kustomize="5.8.1",
        istio="1.29.0",
        cert_manager="1.19.4",
        dex="2.45.0",
        knative="1.21.1",
        oauth2_proxy="7.14.3",
        kfp_version="2.16.0",
        remote_refs=True,
        objects=675,
        istio_cni=True,
        recommended_cpu_m=8000,
        recommended_memory_mib=16384,
    ),
    KubeflowRelease(
        tag="v1.11.0",
        released="2025-12-15",
        commit="854bd3a2",
        k8s_validated="1.32",
        kustomize="5.7.1",
        istio="1.28.0",
        cert_manager="1.16.1",
        dex="2.43.1",
        knative=None,
        oauth2_proxy=None,
        kfp_version=None,
        remote_refs=True,
        objects=653,
        istio_cni=True,
        recommended_cpu_m=8000,
        recommended_memory_mib=16384,
    ),
    KubeflowRelease(
        tag="v1.10.2",
        released="2025-07-18",
        commit=None,
        k8s_validated="1.32",
        kustomize="5.4",
        istio="1.24.3",
        cert_manager="1.16.1",
        dex="2.41.1",
        knative=None,
        oauth2_proxy=None,
        kfp_version=None,
        remote_refs=None,
        objects=None,
        istio_cni=None,
        recommended_cpu_m=8000,
        recommended_memory_mib=16384,
    ),
    KubeflowRelease(
        tag="v1.9.1",
        released="2024-10-24",
        commit="b68bb751",
        k8s_validated="1.29",
        kustomize="5.2.1",
        istio="1.22.1",
        cert_manager="1.14.5",
        dex="2.39.1",
        knative=None,
        oauth2_proxy=None,
        kfp_version=None,
        remote_refs=False,
        objects=569,
        # v1.9.1's README asked for 32 GB and 16 cores.
        istio_cni=False,
        recommended_cpu_m=16000,
        recommended_memory_mib=32768,
    ),
)

KUBEFLOW_BY_TAG: dict[str, KubeflowRelease] = {r.tag: r for r in KUBEFLOW_RELEASES}
DEFAULT_KUBEFLOW_TAG = "26.03"


# -- Resource requests (kfp-manifests.md §11) ------------------------------------------
# Sums of container requests (non-init containers x replicas) in the rendered targets, as
# (cpu millicores, memory MiB). 7-9 Deployments declare none, so real use is higher.
KFP_REQUESTS: dict[str, dict[str, tuple[int, int]]] = {
    "1.6.0": {
        "dev": (730, 2990),
        "gcp": (630, 2115),
        "platform-agnostic": (630, 2970),
        # -pns differs from platform-agnostic only by the Argo executor setting.
        "platform-agnostic-pns": (630, 2970),
    },
    "1.8.5": {"dev": (730, 2990), "gcp": (630, 2115), "platform-agnostic": (630, 2970)},
    "2.0.5": {
        "dev": (730, 2990),
        "gcp": (630, 2115),
        "platform-agnostic": (630, 2970),
        "platform-agnostic-postgresql": (530, 2170),
    },
    "2.3.0": {
        "dev": (730, 2990),
        "gcp": (630, 2115),
        "platform-agnostic": (630, 2970),
        "plain": (530, 2470),
    },
    "2.17.0": {
        "dev": (774, 3146),
        "gcp": (610, 2090),
        "platform-agnostic": (674, 3126),
        "plain": (574, 2626),
        "platform-agnostic-postgresql": (574, 2326),
    },
}
# Tags not rendered for the notes borrow the nearest rendered tag with the same object
# store (MinIO era: 2.3.0; SeaweedFS era: 2.17.0); such figures are marked approximate.
KFP_REQUESTS_NEAREST: dict[str, str] = {
    "2.5.0": "2.3.0",
    "2.14.0": "2.3.0",
    "2.14.3": "2.3.0",
    "2.14.4": "2.3.0",
    "2.15.0": "2.17.0",
    "2.16.0": "2.17.0",
    "2.16.1": "2.17.0",
}

# Full Kubeflow 26.03 (kubeflow-manifests.md §8): the render requests about 3.0 vCPU /
# 7.0 GiB; ~32 injected Istio sidecars at 100m/128Mi add ~3.2 vCPU / 4 GiB (inferred).
KUBEFLOW_REQUESTS = (3000, 7 * 1024)
KUBEFLOW_REQUESTS_WITH_SIDECARS = (6200, 11 * 1024)
