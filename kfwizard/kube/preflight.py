"""Checks before anything is applied, like ``kubeadm``'s preflight: named, skippable.

Each check reads the cluster (never writes) and ends ``pass``, ``warn``, ``fail`` or
``skipped``. All checks run before any verdict, so the user sees every problem with its
fix at once instead of one per attempt. A check can be skipped by name with a reason
(``skip_checks: {capacity: "autoscaler adds nodes"}``); the reason is recorded.

One check refuses instead of failing: a server outside the release's supported range
(KFP 1.6.0 on Kubernetes >= 1.22 cannot work: its CRDs use an API that was removed).
That raises ``Refused`` (exit 2) before anything is touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kfwizard.engine.errors import Refused
from kfwizard.kube.capacity import NODEPOOL_LABEL, larger_machine, node_room
from kfwizard.kube.client import KubeClients
from kfwizard.kube.control import Control, Quiet
from kfwizard.kube.diagnose import (
    default_storageclass_fix,
    is_default_storageclass,
    pool_nodes_needed,
    too_big_for_a_node,
)
from kfwizard.kube.quantity import format_cpu, format_memory, pod_requests
from kfwizard.kube.rest import get_object, list_objects
from kfwizard.wording import plural

CHECK_NAMES = (
    "server-version",
    "rbac",
    "default-storageclass",
    "capacity",
    "tools",
    "psa",
    "existing-install",
    "namespaces",
)
VERIFY_SKIPPABLE = ("api-version", "public-url")
"""Verify checks that ``skip_checks`` may also name (the same option serves both)."""
STATES = ("pass", "warn", "fail", "skipped")

RBAC_NEEDS: tuple[tuple[str, str, str], ...] = (
    ("apiextensions.k8s.io", "customresourcedefinitions", "create"),
    ("rbac.authorization.k8s.io", "clusterroles", "create"),
    ("scheduling.k8s.io", "priorityclasses", "create"),
    ("", "namespaces", "create"),
)


@dataclass
class Check:
    name: str
    state: str
    message: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "state": self.state, "message": self.message}
        if self.fix:
            data["fix"] = self.fix
        return data


@dataclass
class PreflightInputs:
    """What the checks compare the cluster with (from the catalog and the rendered set)."""

    version: str
    env: str = "platform-agnostic"
    mode: str = "kfp-standalone"
    k8s_min: str | None = None
    """Below: warn (APIs may be missing)."""
    k8s_max_exclusive: str | None = None
    """At or above: refused (the manifests can't be applied)."""
    k8s_tested: tuple[str, str] | None = None
    requests: tuple[int, int] | None = None
    """CPU millicores and memory bytes the set requests; computed from ``objects`` if None."""
    minimum: tuple[int, int] | None = None
    """Recommended total allocatable (warn below)."""
    has_pvcs: bool | None = None
    objects: list[dict[str, Any]] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    """What the manifests step found (``name``, ``state``, ``message``)."""
    user: str | None = None
    """The account, for the clusterrolebinding command."""
    cluster: dict[str, Any] = field(default_factory=dict)
    """``name`` and ``location`` when known (the cluster step's output), for the gcloud
    commands in the fixes; without them the fixes say "your cluster"."""
    installed: list[dict[str, Any]] = field(default_factory=list)
    """What this session applied before (its inventory's references): its own objects
    found on the cluster are a resume, not someone else's install."""
    kfp_version: str | None = None
    """The KFP inside the full platform (the catalog's), when ``mode`` is kubeflow:
    ``version`` is then the Kubeflow release (26.03), not a KFP version."""
    earlier_install: dict[str, Any] | None = None
    """This session's install of another mode on this cluster (``mode``, ``version``,
    ``refs``), which this one is applied over: what both have, it takes over."""

    def product(self) -> str:
        """What is installed, in words: "KFP 2.17.0", or "Kubeflow 26.03 (KFP 2.16.0)"
        for the full platform, whose release tag is no KFP version."""
        if self.mode == "kubeflow":
            inside = f" (KFP {self.kfp_version})" if self.kfp_version else ""
            return f"Kubeflow {self.version}{inside}"
        return f"KFP {self.version}"


# -- versions --------------------------------------------------------------------------
def parse_minor(version: str | None) -> tuple[int, int] | None:
    """``v1.33.2-gke.100`` / ``1.33`` → (1, 33)."""
    if not version:
        return None
    match = re.search(r"(\d+)\.(\d+)", str(version))
    return (int(match.group(1)), int(match.group(2))) if match else None


def server_minor(info: dict[str, Any]) -> tuple[int, int] | None:
    git = parse_minor(info.get("git_version") or info.get("gitVersion"))
    if git:
        return git
    try:
        return int(str(info.get("major", "")).rstrip("+")), int(
            str(info.get("minor", "")).rstrip("+")
        )
    except ValueError:
        return None


def check_server_version(info: dict[str, Any], inputs: PreflightInputs) -> Check:
    """pass/warn, or raise ``Refused`` when the release can't run on this server."""
    shown = info.get("git_version") or info.get("gitVersion") or "?"
    minor = server_minor(info)
    if minor is None:
        return Check("server-version", "warn", f"Could not read the server version ({shown}).")
    text = f"{minor[0]}.{minor[1]}"
    top = parse_minor(inputs.k8s_max_exclusive)
    if top and minor >= top:
        raise Refused(
            f"{inputs.product()} can't run on Kubernetes {text}: its manifests use APIs "
            f"that Kubernetes {top[0]}.{top[1]} removed (e.g. apiextensions.k8s.io/v1beta1 "
            "CRDs).",
            "choose a newer KFP version (1.8.5 or later) for this cluster",
        )
    low = parse_minor(inputs.k8s_min)
    if low and minor < low:
        return Check(
            "server-version",
            "warn",
            f"Kubernetes {text} is older than {inputs.k8s_min}, which "
            f"{inputs.product()} expects; some APIs may be missing.",
            upgrade_fix(inputs.cluster),
        )
    tested = inputs.k8s_tested
    if tested:
        lo, hi = parse_minor(tested[0]), parse_minor(tested[1])
        if (lo and minor < lo) or (hi and minor > hi):
            return Check(
                "server-version",
                "pass",
                f"Kubernetes {text} ({shown}); upstream tests {inputs.product()} on "
                f"{tested[0]}–{tested[1]}, so this is untested but expected to work.",
            )
    return Check(
        "server-version", "pass", f"Kubernetes {text} ({shown}) supports {inputs.product()}."
    )


# -- RBAC ------------------------------------------------------------------------------
def check_rbac(
    clients: KubeClients, inputs: PreflightInputs, control: Control | None = None
) -> Check:
    """SelfSubjectAccessReview for the cluster-level rights the install needs."""
    denied: list[str] = []
    for group, resource, verb in RBAC_NEEDS:
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"group": group, "resource": resource, "verb": verb}},
        }
        try:
            res = clients.resource("authorization.k8s.io/v1", "SelfSubjectAccessReview", control)
            answer = res.create(body=body, serialize=False)
            import json

            status = (json.loads(answer.data or b"{}").get("status")) or {}
        except Exception as exc:
            return Check(
                "rbac",
                "warn",
                f"Could not check your permissions ({type(exc).__name__});"
                " the install needs cluster-admin.",
            )
        if not status.get("allowed"):
            denied.append(f"{verb} {resource}")
    if denied:
        user = inputs.user or "YOUR_ACCOUNT"
        return Check(
            "rbac",
            "fail",
            f"You may not {', '.join(denied)}; installing KFP creates cluster-wide "
            "objects and needs cluster-admin.",
            f"kubectl create clusterrolebinding kfwizard-cluster-admin "
            f"--clusterrole=cluster-admin --user={user}",
        )
    return Check(
        "rbac", "pass", "You may create CRDs, ClusterRoles, PriorityClasses and Namespaces."
    )


# -- storage ---------------------------------------------------------------------------
def check_default_storageclass(
    clients: KubeClients, inputs: PreflightInputs, control: Control | None = None
) -> Check:
    has_pvcs = (
        inputs.has_pvcs
        if inputs.has_pvcs is not None
        else any(o.get("kind") == "PersistentVolumeClaim" for o in inputs.objects)
    )
    if not has_pvcs:
        return Check(
            "default-storageclass",
            "pass",
            "This install has no PVCs, so no StorageClass is needed.",
        )
    classes = (
        list_objects(clients, "storage.k8s.io/v1", "StorageClass", control=control).get("items")
        or []
    )
    defaults = [sc["metadata"]["name"] for sc in classes if is_default_storageclass(sc)]
    if defaults:
        return Check(
            "default-storageclass",
            "pass",
            f"Default StorageClass: {defaults[0]} (MySQL and the artifact store get "
            "their disks from it).",
        )
    names = ", ".join(sc["metadata"]["name"] for sc in classes) or "none"
    return Check(
        "default-storageclass",
        "fail",
        f"The cluster has no default StorageClass (StorageClasses: {names}), so the "
        "MySQL and artifact-store PVCs would stay Pending.",
        default_storageclass_fix(classes),
    )


# -- capacity --------------------------------------------------------------------------
def set_requests(objects: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """CPU millicores and memory bytes the workloads of a set request (x replicas)."""
    pods = install_pods(objects)
    return sum(cpu for cpu, _ in pods), sum(mem for _, mem in pods)


def check_capacity(
    clients: KubeClients, inputs: PreflightInputs, control: Control | None = None
) -> Check:
    """Free allocatable (schedulable nodes, minus running pods' requests) vs the set."""
    nodes = list_objects(clients, "v1", "Node", control=control).get("items") or []
    pods = list_objects(clients, "v1", "Pod", control=control).get("items") or []
    rooms = node_room(nodes, pods)
    if not rooms:
        return Check(
            "capacity",
            "fail",
            "The cluster has no Ready, schedulable node.",
            resize_fix(inputs.cluster, _first_pool(nodes), 3, larger_type(inputs.mode, "")),
        )
    need_cpu, need_mem = inputs.requests or set_requests(inputs.objects)
    free_cpu = sum(max(r.free_cpu, 0) for r in rooms)
    free_mem = sum(max(r.free_mem, 0) for r in rooms)
    total_cpu = sum(r.alloc_cpu for r in rooms)
    total_mem = sum(r.alloc_mem for r in rooms)
    have = (
        f"{plural(len(rooms), 'node')} with {format_cpu(free_cpu)} and "
        f"{format_memory(free_mem)} free"
    )
    short = []
    if need_cpu > free_cpu:
        short.append(f"{format_cpu(need_cpu - free_cpu)}")
    if need_mem > free_mem:
        short.append(f"{format_memory(need_mem - free_mem)} memory")
    demand = install_pods(inputs.objects) or [(need_cpu, need_mem)]
    machine = rooms[0].machine_type
    bigger = larger_type(inputs.mode, machine)
    too_big = too_big_for_a_node(rooms, pods, demand)
    if too_big:
        return Check(
            "capacity",
            "fail",
            f"The largest pod needs {format_cpu(too_big[0])} and "
            f"{format_memory(too_big[1])} memory, more than a {machine or 'node'} of node "
            f"pool {rooms[0].pool} has for it, even empty (after GKE's reservations and "
            "system pods): more nodes of that size cannot run it.",
            node_pool_fix(
                inputs.cluster, larger_machine(*too_big, machine) or bigger or "e2-standard-4", 3
            ),
        )
    wanted = pool_nodes_needed(rooms, pods, demand)
    if short or wanted > sum(1 for r in rooms if r.pool == rooms[0].pool):
        why = (
            f"Short by {' and '.join(short)}."
            if short
            else "The total fits, but the pods do not fit in what is free on each node."
        )
        return Check(
            "capacity",
            "fail",
            f"Not enough room: the install requests {format_cpu(need_cpu)} and "
            f"{format_memory(need_mem)} memory; the cluster has {have}. {why}",
            resize_fix(inputs.cluster, rooms[0].pool, wanted, bigger),
        )
    minimum = inputs.minimum
    if minimum and (total_cpu < minimum[0] or total_mem < minimum[1]):
        return Check(
            "capacity",
            "warn",
            f"The requests fit ({have}), but the recommended minimum is "
            f"{format_cpu(minimum[0])} and {format_memory(minimum[1])} allocatable; "
            "many KFP pods declare no requests, so the cluster may be tight.",
            resize_fix(inputs.cluster, rooms[0].pool, len(rooms) + 1, bigger),
        )
    return Check(
        "capacity",
        "pass",
        f"The install requests {format_cpu(need_cpu)} and {format_memory(need_mem)}; "
        f"the cluster has {have}.",
    )


def install_pods(objects: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """The requests of each pod the set will run (one per replica; one per DaemonSet),
    for packing them onto nodes; :func:`set_requests` sums them."""
    pods: list[tuple[int, int]] = []
    for obj in objects:
        kind = obj.get("kind")
        if kind not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        spec = obj.get("spec") or {}
        replicas = 1 if kind == "DaemonSet" else int(spec.get("replicas", 1) or 0)
        pods += [pod_requests(((spec.get("template") or {}).get("spec")) or {})] * replicas
    return pods


def _first_pool(nodes: list[dict[str, Any]]) -> str:
    """The node pool of the first node, even one that is not Ready; GKE's default else."""
    for node in nodes:
        pool = ((node.get("metadata") or {}).get("labels") or {}).get(NODEPOOL_LABEL)
        if pool:
            return str(pool)
    return "default-pool"


def _where(location: str) -> str:
    """gcloud's location flag: a zone has two dashes (us-central1-a), a region one."""
    if not location:
        return ""
    return f" --zone {location}" if location.count("-") >= 2 else f" --region {location}"


def larger_type(mode: str, current: str) -> str | None:
    """A machine type with more room per node than ``current``, for a new node pool: the
    one kfwizard recommends for ``mode`` when it is larger, else the next size up.

    None when kfwizard knows no larger one (the fix then says it in words)."""
    from kfwizard.gcp.machine_types import allocatable, get_machine_type
    from kfwizard.gcp.sizing import mode_needs

    have = get_machine_type(current)
    have_cpu, have_mib = allocatable(have) if have else (0, 0)
    recommended = mode_needs(mode).recommended_machine
    known = get_machine_type(recommended)
    if known is not None:
        cpu, mib = allocatable(known)
        if cpu > have_cpu and mib > have_mib:
            return recommended
    if have is None:
        return None
    return larger_machine(int(have_cpu * 1.7), int(have_mib * 1.7) * 2**20, current)


def resize_fix(cluster: dict[str, Any], pool: str, nodes: int, bigger: str | None = None) -> str:
    """The fix for too little room: the gcloud command with the cluster's real name, or
    a plain sentence about "your cluster" when the name is not known (a kubeconfig
    context, not a cluster kfwizard created or looked up).

    The cluster exists by now, so a larger machine type is not an answers edit (kfwizard
    never replaces a cluster's nodes): it is a new node pool, given as its command."""
    name = cluster.get("name")
    if not name:
        return (
            f"add nodes to your cluster: grow node pool {pool} to {plural(nodes, 'node')} "
            "(on GKE with gcloud container clusters resize), or add a node pool of a larger "
            "machine type"
        )
    where = _where(str(cluster.get("location") or ""))
    resize = (
        f'add nodes with "gcloud container clusters resize {name} --node-pool {pool} '
        f'--num-nodes {nodes}{where}"'
    )
    return f"{resize}, or {node_pool_fix(cluster, bigger, 3)}" if bigger else resize


def node_pool_fix(cluster: dict[str, Any], machine_type: str | None, nodes: int) -> str:
    """Add a node pool of a larger machine type to the existing cluster (its command when
    the cluster's name is known)."""
    name = cluster.get("name")
    if not name or not machine_type:
        return "add a node pool of a larger machine type to your cluster"
    where = _where(str(cluster.get("location") or ""))
    return (
        f'add a node pool of {machine_type} with "gcloud container node-pools create kfp-pool '
        f'--cluster {name} --machine-type {machine_type} --num-nodes {nodes}{where}"'
    )


def upgrade_fix(cluster: dict[str, Any]) -> str:
    """Upgrading the control plane, named like :func:`resize_fix`."""
    name = cluster.get("name")
    if not name:
        return "upgrade your cluster to a newer Kubernetes version"
    where = _where(str(cluster.get("location") or ""))
    return f'upgrade it with "gcloud container clusters upgrade {name} --master{where}"'


# -- tools -----------------------------------------------------------------------------
def check_tools(inputs: PreflightInputs) -> Check:
    """Re-report what the manifests step found; applying itself needs no local tool."""
    bad = [t for t in inputs.tools if t.get("state") == "fail"]
    warn = [t for t in inputs.tools if t.get("state") == "warn"]
    if bad:
        return Check(
            "tools",
            "fail",
            "; ".join(str(t.get("message")) for t in bad),
            "; ".join(str(t.get("fix", "")) for t in bad if t.get("fix")),
        )
    if warn:
        return Check("tools", "warn", "; ".join(str(t.get("message")) for t in warn))
    return Check(
        "tools",
        "pass",
        "The manifests are rendered; applying them needs no local kubectl or kustomize.",
    )


# -- PSA (the inverse proxy, kfp-manifests.md §7) --------------------------------------
def _host_network_workloads(objects: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for obj in objects:
        if obj.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        if pod.get("hostNetwork"):
            meta = obj.get("metadata") or {}
            found.append((str(meta.get("namespace") or ""), str(meta.get("name"))))
    return found


def check_psa(
    clients: KubeClients, inputs: PreflightInputs, control: Control | None = None
) -> Check:
    """A hostNetwork workload in a namespace enforcing baseline/restricted is blocked."""
    workloads = _host_network_workloads(inputs.objects)
    if not workloads:
        return Check("psa", "pass", "No workload needs host networking.")
    rendered = {
        str((o.get("metadata") or {}).get("name")): (o.get("metadata") or {}).get("labels") or {}
        for o in inputs.objects
        if o.get("kind") == "Namespace"
    }
    blocked = []
    for ns, name in workloads:
        labels = rendered.get(ns)
        if labels is None:
            live = get_object(clients, "v1", "Namespace", ns, control=control)
            labels = ((live or {}).get("metadata") or {}).get("labels") or {}
        level = labels.get("pod-security.kubernetes.io/enforce")
        if level in ("baseline", "restricted"):
            blocked.append((ns, name, level))
    if not blocked:
        return Check("psa", "pass", "Pod Security levels allow every workload.")
    ns, name, level = blocked[0]
    return Check(
        "psa",
        "warn",
        f"{name} uses host networking, which namespace {ns}'s Pod Security level "
        f"'{level}' forbids: it won't start, so there will be no public URL "
        "(kfwizard uses a local port-forward instead).",
        f'to get the public URL anyway, run "kubectl label namespace {ns} '
        'pod-security.kubernetes.io/enforce=privileged --overwrite" after the install',
    )


def check_namespaces(
    clients: KubeClients, inputs: PreflightInputs, control: Control | None = None
) -> Check:
    """Every namespace the manifests put objects in is created by them or already on
    the cluster. A set without its Namespace (an env file given without
    cluster-scoped-resources.yaml) applied its cluster-wide objects, then failed a
    minute later with 'namespaces "kubeflow" not found'."""
    created = {
        str((o.get("metadata") or {}).get("name"))
        for o in inputs.objects
        if o.get("kind") == "Namespace"
    }
    used = {
        str(ns)
        for o in inputs.objects
        if (ns := (o.get("metadata") or {}).get("namespace")) and o.get("kind") != "Namespace"
    }
    missing = sorted(
        ns
        for ns in used - created
        if get_object(clients, "v1", "Namespace", ns, control=control) is None
    )
    if not missing:
        return Check(
            "namespaces",
            "pass",
            "Every namespace the manifests use is created by them or already here.",
        )
    names = ", ".join(missing)
    return Check(
        "namespaces",
        "fail",
        f"The manifests put objects in {plural(len(missing), 'namespace')} {names}, which "
        "they do not create and this cluster does not have: the apply would fail there "
        "after the cluster-wide objects went in.",
        f"point deployment.manifests at a set that creates it (for KFP: "
        f"cluster-scoped-resources.yaml with the env file), or create it first "
        f"(kubectl create namespace {missing[0]})",
    )


def check_existing_install(
    clients: KubeClients, inputs: PreflightInputs, control: Control | None = None
) -> Check:
    """The set's Deployments already on the cluster: someone else's, or this session's
    install of another mode.

    Another kfwizard session (or an install by hand) put them there: applying takes
    them over, and a teardown of either session deletes them, with their data, for
    both. This session's own install of another mode (standalone KFP, then the full
    platform) shares most workloads with the new one by namespace, kind and name, and
    server-side apply with ``--force-conflicts`` takes those over: saying "no earlier
    install" there hid that the new install replaces them. Both are warnings, since
    installing over them can be what the user wants.
    """
    wanted: dict[str, set[str]] = {}
    for o in inputs.objects:
        meta = o.get("metadata") or {}
        if o.get("kind") == "Deployment" and meta.get("namespace"):
            wanted.setdefault(str(meta["namespace"]), set()).add(str(meta.get("name")))
    ours = {
        (str(ref.get("namespace") or ""), str(ref.get("name")))
        for ref in inputs.installed
        if ref.get("kind") == "Deployment"
    }
    earlier = inputs.earlier_install or {}
    earlier_deploys = {
        (str(ref.get("namespace") or ""), str(ref.get("name")))
        for ref in earlier.get("refs") or []
        if ref.get("kind") == "Deployment"
    }
    found: list[tuple[str, str]] = []
    taken: list[tuple[str, str]] = []
    own: list[tuple[str, str]] = []
    for namespace, names in sorted(wanted.items()):
        listed = list_objects(
            clients, "apps/v1", "Deployment", namespace=namespace, control=control
        )
        for item in listed.get("items") or []:
            name = str((item.get("metadata") or {}).get("name"))
            if name not in names:
                continue
            if (namespace, name) in earlier_deploys:
                taken.append((namespace, name))
            elif (namespace, name) in ours:
                own.append((namespace, name))
            else:
                found.append((namespace, name))
    messages: list[str] = []
    if taken:
        messages.append(takeover_text(earlier, inputs.mode, taken, len(earlier_deploys)))
    if found:
        namespaces = sorted({ns for ns, _ in found})
        messages.append(
            f"{plural(len(found), 'Deployment')} of this install already run in namespace "
            f"{', '.join(namespaces)} ({_names(found)}), and this session did not create them "
            "(another kfwizard session, or an install by hand). Installing takes them over, "
            "and a teardown of either session deletes them, and their data, for both."
        )
    if not messages and own:
        # A resume, or new manifests of the same mode (an upgrade): the Install screen
        # says "It replaces 2.17.0 …", so "no earlier install" here contradicted it.
        return Check(
            "existing-install",
            "pass",
            f"{plural(len(own), 'Deployment')} of this install already run here, all this "
            "session's own: applying updates them in place.",
        )
    if not messages:
        return Check("existing-install", "pass", "No earlier install of these workloads here.")
    fixes = []
    if taken:
        fixes.append(
            f"to keep the {earlier.get('mode')} install as it is, install on another cluster"
        )
    if found:
        fixes.append(
            "to keep the installs apart, use another cluster; to install over this one "
            "knowingly, carry on, and tear it down from one session only"
        )
    return Check("existing-install", "warn", " ".join(messages), "; ".join(fixes))


def _names(found: list[tuple[str, str]]) -> str:
    return ", ".join(name for _, name in found[:4]) + (" …" if len(found) > 4 else "")


def takeover_text(
    earlier: dict[str, Any], mode: str, taken: list[tuple[str, str]], total: int
) -> str:
    """This session's earlier install of another mode, whose Deployments ``taken`` the
    new one has too (same namespace and name): applying takes them over."""
    left = total - len(taken)
    if left:
        verb = "stays" if left == 1 else "stay"
        beside = f"only {plural(left, 'other Deployment')} of it {verb} beside this one"
    else:
        beside = "none of its Deployments is left beside this one"
    return (
        f"This session's earlier {earlier.get('mode')} install on this cluster has "
        f"{len(taken)} of its {plural(total, 'Deployment')} in this {mode} install too "
        f"(same namespace and name: {_names(taken)}): installing takes them over, and "
        f"{beside}."
    )


# -- running them ----------------------------------------------------------------------
def run_checks(
    clients: KubeClients,
    inputs: PreflightInputs,
    *,
    skip: dict[str, str] | None = None,
    control: Control | None = None,
) -> list[Check]:
    """Run every check (skipped ones recorded with their reason). May raise ``Refused``."""
    control = control or Quiet()
    skip = dict(skip or {})
    unknown = sorted(set(skip) - set(CHECK_NAMES) - set(VERIFY_SKIPPABLE))
    if unknown:
        from kfwizard.engine.errors import BadInput

        raise BadInput(
            "skip_checks",
            f"unknown check name; known: {', '.join(CHECK_NAMES + VERIFY_SKIPPABLE)}",
            ", ".join(unknown),
        )
    runners: dict[str, Callable[[], Check]] = {
        "server-version": lambda: check_server_version(clients.server_version(), inputs),
        "rbac": lambda: check_rbac(clients, inputs, control),
        "default-storageclass": lambda: check_default_storageclass(clients, inputs, control),
        "capacity": lambda: check_capacity(clients, inputs, control),
        "tools": lambda: check_tools(inputs),
        "psa": lambda: check_psa(clients, inputs, control),
        "existing-install": lambda: check_existing_install(clients, inputs, control),
        "namespaces": lambda: check_namespaces(clients, inputs, control),
    }
    checks: list[Check] = []
    for name in CHECK_NAMES:
        control.check_cancel()
        if name in skip:
            reason = skip[name] or "no reason given"
            checks.append(Check(name, "skipped", f"Skipped at your request: {reason}."))
            continue
        try:
            checks.append(runners[name]())
        except Refused:
            raise
        except Exception as exc:
            from kfwizard.kube.retry import describe_error

            checks.append(Check(name, "warn", f"Could not run this check: {describe_error(exc)}."))
    return checks


def failure_text(checks: list[Check]) -> tuple[str, str, tuple[str, ...]]:
    """(cause, action, details) naming every failing check and its fix."""
    failed = [c for c in checks if c.state == "fail"]
    names = ", ".join(c.name for c in failed)
    cause = (
        f"{len(failed)} preflight check{'s' if len(failed) > 1 else ''} failed ({names}): "
        + " ".join(c.message for c in failed)
    )
    fixes = [f"{c.name}: {c.fix}" for c in failed if c.fix]
    action = f"fix {'this' if len(failed) == 1 else 'these'}, then resume"
    if fixes:
        action += ": " + "; ".join(fixes)
    details = tuple(
        f"[{c.state}] {c.name}: {c.message}" + (f" Fix: {c.fix}" if c.fix else "") for c in checks
    )
    return cause, action, details
