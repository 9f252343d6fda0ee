"""The workload controllers as one object: Deployment -> ReplicaSet -> Pods
(``deployments.py``), StatefulSet, DaemonSet and Job (``podsets.py``), sharing the pod
creation and bookkeeping of ``workloadbase.py``.
"""

from __future__ import annotations

from kfwizard.emulator.kube.deployments import DeploymentControllers
from kfwizard.emulator.kube.podsets import PodSetControllers
from kfwizard.emulator.kube.workloadbase import template_hash

__all__ = ["Workloads", "template_hash"]


class Workloads(DeploymentControllers, PodSetControllers):
    """Handlers for the simulator: ``deployment``, ``replicaset``, ``statefulset``,
    ``daemonset``, ``job`` and ``retry_blocked``."""
