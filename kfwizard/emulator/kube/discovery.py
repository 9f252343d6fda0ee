"""What the emulated cluster serves: the built-in kinds of a GKE 1.33 API server plus the
kinds that Established CRDs add, rendered as legacy discovery documents.

Why legacy discovery (``APIGroupList``/``APIResourceList``) only: kubectl and the Python
DynamicClient both accept it (kubectl asks for the aggregated form first and falls back).
Two details matter on the wire: the core group's ``groupVersion`` is ``"v1"`` (kubectl
fails with "no matches for kind" otherwise), and a group's ``preferredVersion`` must equal
one entry of ``versions`` exactly (the DynamicClient compares the dicts).

Objects are stored per (group, plural): every served version of a kind reads and writes
the same objects, as when an API server converts between versions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NO_COLLECTION_DELETE = ("create", "delete", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)
READ_ONLY = ("get", "list")


@dataclass(frozen=True)
class ResourceType:
    """One (group, version, plural) the server serves."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    singular: str = ""
    crd: str = ""
    """Name of the CRD that defines this kind ("" for built-ins)."""
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """Storage key shared by every version of the kind."""
        return (self.group, self.plural)

    @property
    def has_status(self) -> bool:
        return "status" in self.subresources

    @property
    def virtual(self) -> bool:
        """Create-only review kinds (SelfSubjectAccessReview...) are answered, not stored."""
        return self.verbs == CREATE_ONLY


# Sub-resources: (kind, group, version, verbs) as the real server reports them.
_SUBRESOURCE_INFO: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "status": ("", "", "", ("get", "patch", "update")),
    "scale": ("Scale", "autoscaling", "v1", ("get", "patch", "update")),
    "log": ("Pod", "", "", ("get",)),
    "portforward": ("PodPortForwardOptions", "", "", ("create", "get")),
    "proxy": ("", "", "", ("create", "delete", "get", "patch", "update")),
    "exec": ("PodExecOptions", "", "", ("create", "get")),
    "attach": ("PodAttachOptions", "", "", ("create", "get")),
    "eviction": ("Eviction", "policy", "v1", ("create",)),
    "binding": ("Binding", "", "", ("create",)),
    "ephemeralcontainers": ("Pod", "", "", ("get", "patch", "update")),
    "resize": ("Pod", "", "", ("get", "patch", "update")),
    "finalize": ("Namespace", "", "", ("update",)),
    "token": ("TokenRequest", "authentication.k8s.io", "v1", ("create",)),
    "approval": ("CertificateSigningRequest", "", "", ("get", "patch", "update")),
}

_ALL = ("all",)

# (groupVersion, kind, plural, namespaced, shortNames, verbs, subresources, categories)
_BUILTIN_ROWS: list[tuple[str, str, str, bool, str, tuple[str, ...], str, tuple[str, ...]]] = [
    ("v1", "Binding", "bindings", True, "", CREATE_ONLY, "", ()),
    ("v1", "ComponentStatus", "componentstatuses", False, "cs", READ_ONLY, "", ()),
    ("v1", "ConfigMap", "configmaps", True, "cm", ALL_VERBS, "", ()),
    ("v1", "Endpoints", "endpoints", True, "ep", ALL_VERBS, "", ()),
    ("v1", "Event", "events", True, "ev", ALL_VERBS, "", ()),
    ("v1", "LimitRange", "limitranges", True, "limits", ALL_VERBS, "", ()),
    ("v1", "Namespace", "namespaces", False, "ns", NO_COLLECTION_DELETE, "finalize status", ()),
    ("v1", "Node", "nodes", False, "no", ALL_VERBS, "proxy status", ()),
    ("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc", ALL_VERBS, "status", ()),
    ("v1", "PersistentVolume", "persistentvolumes", False, "pv", ALL_VERBS, "status", ()),
    (
        "v1",
        "Pod",
        "pods",
        True,
        "po",
        ALL_VERBS,
        "attach binding ephemeralcontainers eviction exec log portforward proxy resize status",
        _ALL,
    ),
    ("v1", "PodTemplate", "podtemplates", True, "", ALL_VERBS, "", ()),
    (
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        True,
        "rc",
        ALL_VERBS,
        "scale status",
        _ALL,
    ),
    ("v1", "ResourceQuota", "resourcequotas", True, "quota", ALL_VERBS, "status", ()),
    ("v1", "Secret", "secrets", True, "", ALL_VERBS, "", ()),
    ("v1", "ServiceAccount", "serviceaccounts", True, "sa", ALL_VERBS, "token", ()),
    (
        "v1",
        "Service",
        "services",
        True,
        "svc",
        ALL_VERBS,
        "proxy status",
        _ALL,
    ),
    ("apiregistration.k8s.io/v1", "APIService", "apiservices", False, "", ALL_VERBS, "status", ()),
    ("apps/v1", "ControllerRevision", "controllerrevisions", True, "", ALL_VERBS, "", ()),
    ("apps/v1", "DaemonSet", "daemonsets", True, "ds", ALL_VERBS, "status", _ALL),
    ("apps/v1", "Deployment", "deployments", True, "deploy", ALL_VERBS, "scale status", _ALL),
    ("apps/v1", "ReplicaSet", "replicasets", True, "rs", ALL_VERBS, "scale status", _ALL),
    ("apps/v1", "StatefulSet", "statefulsets", True, "sts", ALL_VERBS, "scale status", _ALL),
    (
        "authentication.k8s.io/v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        False,
        "",
        CREATE_ONLY,
        "",
        (),
    ),
    ("authentication.k8s.io/v1", "TokenReview", "tokenreviews", False, "", CREATE_ONLY, "", ()),
    (
        "authorization.k8s.io/v1",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        True,
        "",
        CREATE_ONLY,
        "",
        (),
    ),
    (
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        False,
        "",
        CREATE_ONLY,
        "",
        (),
    ),
    (
        "authorization.k8s.io/v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        False,
        "",
        CREATE_ONLY,
        "",
        (),
    ),
    (
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        False,
        "",
        CREATE_ONLY,
        "",
        (),
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        "hpa",
        ALL_VERBS,
        "status",
        _ALL,
    ),
    (
        "autoscaling/v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        True,
        "hpa",
        ALL_VERBS,
        "status",
        _ALL,
    ),
    ("batch/v1", "CronJob", "cronjobs", True, "cj", ALL_VERBS, "status", _ALL),
    ("batch/v1", "Job", "jobs", True, "", ALL_VERBS, "status", _ALL),
    (
        "certificates.k8s.io/v1",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        False,
        "csr",
        ALL_VERBS,
        "approval status",
        (),
    ),
    ("networking.k8s.io/v1", "IngressClass", "ingressclasses", False, "", ALL_VERBS, "", ()),
    ("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing", ALL_VERBS, "status", ()),
    ("networking.k8s.io/v1", "IPAddress", "ipaddresses", False, "ip", ALL_VERBS, "", ()),
    ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol", ALL_VERBS, "", ()),
    ("networking.k8s.io/v1", "ServiceCIDR", "servicecidrs", False, "", ALL_VERBS, "status", ()),
    (
        "policy/v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        True,
        "pdb",
        ALL_VERBS,
        "status",
        (),
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        False,
        "",
        ALL_VERBS,
        "",
        (),
    ),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False, "", ALL_VERBS, "", ()),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True, "", ALL_VERBS, "", ()),
    ("rbac.authorization.k8s.io/v1", "Role", "roles", True, "", ALL_VERBS, "", ()),
    ("storage.k8s.io/v1", "CSIDriver", "csidrivers", False, "", ALL_VERBS, "", ()),
    ("storage.k8s.io/v1", "CSINode", "csinodes", False, "", ALL_VERBS, "", ()),
    (
        "storage.k8s.io/v1",
        "CSIStorageCapacity",
        "csistoragecapacities",
        True,
        "",
        ALL_VERBS,
        "",
        (),
    ),
    ("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc", ALL_VERBS, "", ()),
    (
        "storage.k8s.io/v1",
        "VolumeAttachment",
        "volumeattachments",
        False,
        "",
        ALL_VERBS,
        "status",
        (),
    ),
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
        "",
        ALL_VERBS,
        "",
        (),
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        False,
        "",
        ALL_VERBS,
        "status",
        (),
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        False,
        "",
        ALL_VERBS,
        "",
        (),
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
        "",
        ALL_VERBS,
        "",
        (),
    ),
    (
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        "crd crds",
        ALL_VERBS,
        "status",
        (),
    ),
    ("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False, "pc", ALL_VERBS, "", ()),
    ("coordination.k8s.io/v1", "Lease", "leases", True, "", ALL_VERBS, "", ()),
    ("node.k8s.io/v1", "RuntimeClass", "runtimeclasses", False, "", ALL_VERBS, "", ()),
    ("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True, "", ALL_VERBS, "", ()),
    (
        "flowcontrol.apiserver.k8s.io/v1",
        "FlowSchema",
        "flowschemas",
        False,
        "",
        ALL_VERBS,
        "status",
        (),
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1",
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
        False,
        "",
        ALL_VERBS,
        "status",
        (),
    ),
]


def _builtin_types() -> list[ResourceType]:
    types = []
    for gv, kind, plural, namespaced, shorts, verbs, subs, cats in _BUILTIN_ROWS:
        group, _, version = gv.rpartition("/")
        types.append(
            ResourceType(
                group=group,
                version=version,
                kind=kind,
                plural=plural,
                namespaced=namespaced,
                short_names=tuple(shorts.split()),
                verbs=tuple(sorted(verbs)),
                subresources=tuple(subs.split()),
                categories=cats,
                singular=kind.lower(),
            )
        )
    return types


_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kube-aware ordering (GA > beta > alpha, newer first) as a sort key."""
    match = _VERSION_RE.match(version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The served versions of a CRD as resource types."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    kind = names.get("kind", "")
    plural = names.get("plural", "")
    out = []
    for ver in spec.get("versions") or []:
        if not ver.get("served", True):
            continue
        subs = ver.get("subresources") or {}
        sub_names = [name for name in ("scale", "status") if name in subs]
        out.append(
            ResourceType(
                group=spec.get("group", ""),
                version=ver.get("name", ""),
                kind=kind,
                plural=plural,
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                verbs=ALL_VERBS,
                subresources=tuple(sub_names),
                categories=tuple(names.get("categories") or ()),
                singular=names.get("singular") or kind.lower(),
                crd=(crd.get("metadata") or {}).get("name", ""),
                printer_columns=tuple(ver.get("additionalPrinterColumns") or ()),
            )
        )
    return out


class Discovery:
    """The kind table (built-ins + Established CRDs) and the discovery documents."""

    def __init__(self, server_address: str = "") -> None:
        self._lock = threading.Lock()
        self._builtin = _builtin_types()
        self._crds: dict[str, list[ResourceType]] = {}
        self.server_address = server_address
        self._index: dict[tuple[str, str, str], ResourceType] = {}
        self._rebuild()

    # -- table maintenance --------------------------------------------------------------
    def set_crd(self, crd_name: str, types: list[ResourceType]) -> None:
        with self._lock:
            self._crds[crd_name] = types
            self._rebuild()

    def drop_crd(self, crd_name: str) -> None:
        with self._lock:
            if self._crds.pop(crd_name, None) is not None:
                self._rebuild()

    def crd_names(self) -> list[str]:
        with self._lock:
            return list(self._crds)

    def _rebuild(self) -> None:
        index: dict[tuple[str, str, str], ResourceType] = {}
        for rt in self._all_unlocked():
            index.setdefault((rt.group, rt.version, rt.plural), rt)
        self._index = index

    def _all_unlocked(self) -> list[ResourceType]:
        types = list(self._builtin)
        for crd_name in sorted(self._crds):
            types.extend(self._crds[crd_name])
        return types

    # -- lookups ------------------------------------------------------------------------
    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._index.get((group, version, plural))

    def all_types(self) -> list[ResourceType]:
        with self._lock:
            return self._all_unlocked()

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for rt in self._index.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def any_version(self, group: str, plural: str) -> ResourceType | None:
        """The preferred served version of (group, plural), for internal reads."""
        candidates = [
            rt for rt in self._index.values() if rt.group == group and rt.plural == plural
        ]
        if not candidates:
            return None
        return sorted(candidates, key=lambda rt: version_priority(rt.version))[0]

    def storage_keys(self, namespaced: bool | None = None) -> list[tuple[str, str]]:
        """Distinct (group, plural) of stored kinds, optionally only (non-)namespaced."""
        seen: dict[tuple[str, str], None] = {}
        for rt in self._index.values():
            if rt.virtual or (namespaced is not None and rt.namespaced != namespaced):
                continue
            seen.setdefault(rt.key, None)
        return list(seen)

    # -- documents ----------------------------------------------------------------------
    def _groups(self) -> dict[str, list[str]]:
        """group -> served versions, preferred first, in the server's group order."""
        groups: dict[str, list[str]] = {}
        for rt in self._all_unlocked():
            versions = groups.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        for name, versions in groups.items():
            if name not in _BUILTIN_PREFERRED:
                versions.sort(key=version_priority)
        return groups

    def api_versions(self) -> dict[str, Any]:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}
            ],
        }

    def _group_doc(self, name: str, versions: list[str]) -> dict[str, Any]:
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": entries, "preferredVersion": dict(entries[0])}

    def group_list(self) -> dict[str, Any]:
        with self._lock:
            groups = self._groups()
        docs = [self._group_doc(name, versions) for name, versions in groups.items() if name]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": docs}

    def group(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            versions = self._groups().get(name)
        if not name or not versions:
            return None
        return {"kind": "APIGroup", "apiVersion": "v1", **self._group_doc(name, versions)}

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        with self._lock:
            types = [
                rt for rt in self._all_unlocked() if rt.group == group and rt.version == version
            ]
        if not types:
            return None
        resources: list[dict[str, Any]] = []
        for rt in types:
            entry: dict[str, Any] = {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            resources.append(entry)
            resources.extend(_subresource_entries(rt))
        gv = f"{group}/{version}" if group else version
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": gv,
            "resources": resources,
        }


# Built-in groups keep the order their rows list (autoscaling: v2 before v1).
_BUILTIN_PREFERRED = {gv.rpartition("/")[0] for gv, *_ in _BUILTIN_ROWS}


def _subresource_entries(rt: ResourceType) -> Iterable[dict[str, Any]]:
    for sub in rt.subresources:
        kind, group, version, verbs = _SUBRESOURCE_INFO[sub]
        entry: dict[str, Any] = {
            "name": f"{rt.plural}/{sub}",
            "singularName": "",
            "namespaced": rt.namespaced,
            "kind": kind or rt.kind,
            "verbs": list(verbs),
        }
        if group or version:
            entry["group"] = group
            entry["version"] = version
        yield entry
