"""Friendly names for the workloads a newcomer meets in error messages.

``role`` puts the friendly name in brackets after the workload's, so a friendly name
has no brackets of its own: "proxy-agent (the inverse-proxy agent (public URL))" read
as a slip in the Verify summary.
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "ml-pipeline": "the KFP API server",
    "ml-pipeline-ui": "the KFP UI",
    "mysql": "MySQL, KFP's database",
    "katib-mysql": "Katib's MySQL",
    "minio": "MinIO, the artifact store",
    "seaweedfs": "SeaweedFS, the artifact store",
    "metadata-grpc-deployment": "ML Metadata",
    "workflow-controller": "the Argo workflow controller",
    "ml-pipeline-persistenceagent": "the persistence agent",
    "ml-pipeline-scheduledworkflow": "the scheduled-workflow controller",
    "proxy-agent": "the agent behind the public URL",
    "cache-server": "the cache webhook",
    "cache-deployer-deployment": "the cache deployer",
    "cloudsqlproxy": "the Cloud SQL proxy",
    "istiod": "Istio",
    "cert-manager-webhook": "cert-manager's webhook",
}


def role(name: str) -> str:
    """``ml-pipeline`` → ``ml-pipeline (the KFP API server)``; unknown names unchanged."""
    extra = ROLES.get(name)
    return f"{name} ({extra})" if extra else name
