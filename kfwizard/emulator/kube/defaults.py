"""Server-side defaulting: the fields a real API server fills in on write.

Why it matters: clients read them back. ``kubectl rollout status`` compares
``spec.replicas`` (which manifests often leave out), a Service gets a ``clusterIP``, a
PVC without a class gets the default StorageClass (the DefaultStorageClass admission
plugin), a Secret's ``stringData`` is folded into ``data``, and a Namespace gets its
``kubernetes.io/metadata.name`` label and the ``kubernetes`` finalizer.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]

SERVICE_CIDR = ipaddress.ip_network("34.118.224.0/20")  # GKE's default service range
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def _pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            image = str(container.get("image", ""))
            tag = image.rsplit("/", 1)[-1]
            latest = ":" not in tag or tag.endswith(":latest")
            container.setdefault(
                "imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent"
            )
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("resources", {})
            for port in container.get("ports") or []:
                port.setdefault("protocol", "TCP")


def _template(obj: Obj) -> None:
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict):
        _pod_spec(template.setdefault("spec", {}))


def deployment(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(obj)


def replicaset(obj: Obj, ctx: DefaultsContext) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template(obj)


def statefulset(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type") == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {"partition": 0})
    spec.setdefault("revisionHistoryLimit", 10)
    _template(obj)


def daemonset(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type") == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
    spec.setdefault("revisionHistoryLimit", 10)
    _template(obj)


def job(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    uid = (obj.get("metadata") or {}).get("uid", "")
    name = (obj.get("metadata") or {}).get("name", "")
    if uid and "selector" not in spec:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        labels.update(
            {
                "batch.kubernetes.io/controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "controller-uid": uid,
                "job-name": name,
            }
        )
    _template(obj)


def cronjob(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)


def pod(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    _pod_spec(spec)
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault(
        "tolerations",
        [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ],
    )
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", _qos(spec))


def _qos(spec: Obj) -> str:
    containers = spec.get("containers") or []
    if not any(
        (c.get("resources") or {}).get("requests") or (c.get("resources") or {}).get("limits")
        for c in containers
    ):
        return "BestEffort"
    guaranteed = all(
        (c.get("resources") or {}).get("limits", {}).get(r)
        and (c.get("resources") or {})
        .get("requests", {})
        .get(r, (c.get("resources") or {}).get("limits", {}).get(r))
        == (c.get("resources") or {}).get("limits", {}).get(r)
        for c in containers
        for r in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


def namespace(obj: Obj, ctx: DefaultsContext) -> None:
    md = obj.setdefault("metadata", {})
    md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md.get("name", "")
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


def service(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            old_ip = ((ctx.old or {}).get("spec") or {}).get("clusterIP")
            spec["clusterIP"] = old_ip or ctx.allocate_ip(obj)
        if spec["clusterIP"] != "None":
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def pvc(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("volumeMode", "Filesystem")
    if ctx.old is None:
        finalizers = obj.setdefault("metadata", {}).setdefault("finalizers", [])
        if "kubernetes.io/pvc-protection" not in finalizers:
            finalizers.append("kubernetes.io/pvc-protection")
    if ctx.old is None and "storageClassName" not in spec:
        default = ctx.default_storage_class()
        if default:
            spec["storageClassName"] = default
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def pv(obj: Obj, ctx: DefaultsContext) -> None:
    obj.setdefault("spec", {}).setdefault("persistentVolumeReclaimPolicy", "Retain")
    obj.setdefault("status", {}).setdefault("phase", "Available")


def secret(obj: Obj, ctx: DefaultsContext) -> None:
    obj.setdefault("type", "Opaque")
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.setdefault("data", {}) or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


def storageclass(obj: Obj, ctx: DefaultsContext) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")


def priorityclass(obj: Obj, ctx: DefaultsContext) -> None:
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def webhooks(obj: Obj, ctx: DefaultsContext) -> None:
    for hook in obj.get("webhooks") or []:
        hook.setdefault("failurePolicy", "Fail")
        hook.setdefault("matchPolicy", "Equivalent")
        hook.setdefault("namespaceSelector", {})
        hook.setdefault("objectSelector", {})
        hook.setdefault("timeoutSeconds", 10)
        for rule in hook.get("rules") or []:
            rule.setdefault("scope", "*")
        service_ref = (hook.get("clientConfig") or {}).get("service")
        if isinstance(service_ref, dict):
            service_ref.setdefault("port", 443)


def crd(obj: Obj, ctx: DefaultsContext) -> None:
    spec = obj.setdefault("spec", {})
    names = spec.setdefault("names", {})
    if names.get("kind"):
        names.setdefault("singular", str(names["kind"]).lower())
        names.setdefault("listKind", f"{names['kind']}List")
    spec.setdefault("scope", "Namespaced")
    spec.setdefault("conversion", {"strategy": "None"})
    if ctx.old is None:
        finalizers = obj.setdefault("metadata", {}).setdefault("finalizers", [])
        if "customresourcecleanup.apiextensions.k8s.io" not in finalizers:
            finalizers.append("customresourcecleanup.apiextensions.k8s.io")
        storage = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
        obj["status"] = {
            "acceptedNames": {"kind": "", "plural": ""},
            "conditions": [],
            "storedVersions": storage[:1],
        }


class DefaultsContext:
    """What defaulting may need from the cluster (the old object, IPs, the default SC)."""

    def __init__(
        self,
        old: Obj | None,
        allocate_ip: Callable[[Obj], str],
        default_storage_class: Callable[[], str | None],
    ) -> None:
        self.old = old
        self.allocate_ip = allocate_ip
        self.default_storage_class = default_storage_class


DEFAULTERS: dict[tuple[str, str], Callable[[Obj, DefaultsContext], None]] = {
    ("apps", "deployments"): deployment,
    ("apps", "replicasets"): replicaset,
    ("apps", "statefulsets"): statefulset,
    ("apps", "daemonsets"): daemonset,
    ("batch", "jobs"): job,
    ("batch", "cronjobs"): cronjob,
    ("", "pods"): pod,
    ("", "namespaces"): namespace,
    ("", "services"): service,
    ("", "persistentvolumeclaims"): pvc,
    ("", "persistentvolumes"): pv,
    ("", "secrets"): secret,
    ("storage.k8s.io", "storageclasses"): storageclass,
    ("scheduling.k8s.io", "priorityclasses"): priorityclass,
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): webhooks,
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): webhooks,
    ("apiextensions.k8s.io", "customresourcedefinitions"): crd,
}


def apply_defaults(key: tuple[str, str], obj: Obj, ctx: DefaultsContext) -> None:
    defaulter = DEFAULTERS.get(key)
    if defaulter is not None:
        defaulter(obj, ctx)


def service_ip(namespace: str, name: str, taken: set[str]) -> str:
    """A stable ClusterIP for ``namespace/name`` inside the service range."""
    size = SERVICE_CIDR.num_addresses
    seed = int(hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest(), 16)
    for attempt in range(size):
        offset = 10 + (seed + attempt) % (size - 20)
        ip = str(SERVICE_CIDR.network_address + offset)
        if ip not in taken:
            return ip
    raise RuntimeError("service IP range exhausted")
