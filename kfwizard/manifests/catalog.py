"""The wizard's judgement about modes and versions, in one place to import from.

The facts live in :mod:`versions` (one row per release) and :mod:`modes` (what each mode
installs and needs); the judgement is split by concern: :mod:`lookup` (spelling,
defaults, offered targets), :mod:`rules` (refusals and advisories), :mod:`needs`
(Deployments, resources, Google APIs, SDK), :mod:`gcp_inputs` and :mod:`explain`.
"""

from __future__ import annotations

from kfwizard.manifests.explain import describe, explain
from kfwizard.manifests.findings import Advisory, Refusal
from kfwizard.manifests.gcp_inputs import (
    bucket_problem,
    cloudsql_connection_problem,
    db_user_problem,
    gcp_input_problems,
)
from kfwizard.manifests.lookup import (
    KFP_RELEASES_URL,
    KUBEFLOW_RELEASES_URL,
    archive_url,
    default_env,
    default_version,
    effective_env,
    envs_for,
    kfp_release,
    kubeflow_release,
    normalise_version,
    parse_k8s_version,
    versions_for,
    vtuple,
)
from kfwizard.manifests.modes import KFP_GCP, KFP_STANDALONE, KUBEFLOW, MODES
from kfwizard.manifests.needs import (
    KFP_WARN_ONLY,
    KUBEFLOW_CRITICAL,
    DeploymentRoles,
    ResourceNeeds,
    ServiceNeeds,
    deployment_roles,
    resource_needs,
    sdk_line,
    sdk_requirement,
    services_for_mode,
)
from kfwizard.manifests.rules import advisories, refusals

__all__ = [
    "KFP_GCP",
    "KFP_RELEASES_URL",
    "KFP_STANDALONE",
    "KFP_WARN_ONLY",
    "KUBEFLOW",
    "KUBEFLOW_CRITICAL",
    "KUBEFLOW_RELEASES_URL",
    "MODES",
    "Advisory",
    "DeploymentRoles",
    "Refusal",
    "ResourceNeeds",
    "ServiceNeeds",
    "advisories",
    "archive_url",
    "bucket_problem",
    "cloudsql_connection_problem",
    "db_user_problem",
    "default_env",
    "default_version",
    "deployment_roles",
    "describe",
    "effective_env",
    "envs_for",
    "explain",
    "gcp_input_problems",
    "kfp_release",
    "kubeflow_release",
    "normalise_version",
    "parse_k8s_version",
    "refusals",
    "resource_needs",
    "sdk_line",
    "sdk_requirement",
    "services_for_mode",
    "versions_for",
    "vtuple",
]
