"""Admission the emulator enforces: admission webhooks whose backend is down, and Pod
Security Admission's *baseline* level.

Webhooks, kept simple on purpose: a webhook with ``failurePolicy: Fail`` (the default)
whose rules, namespaceSelector and objectSelector match a write makes that write fail
while its Service has no Ready pod behind it, with the real message
``Internal error occurred: failed calling webhook "<name>": failed to call webhook: Post
"https://<svc>.<ns>.svc:443/<path>?timeout=10s": dial tcp <clusterIP>:443: connect:
connection refused`` (or ``service "<svc>" not found``). Once a Ready pod backs the
Service the webhook "answers" and allows the object unchanged (no mutation, no caBundle
check). Webhooks given by URL are assumed reachable. Applied to API writes of any kind
(CREATE/UPDATE/DELETE) and to the pods that workload controllers create (so istiod's
injector gates pods in labelled namespaces, as on a real cluster). Webhook
configurations themselves are never intercepted, as on a real server.

Pod Security: when a namespace's ``pod-security.kubernetes.io/enforce`` label is
``baseline`` or ``restricted``, a pod using host namespaces, ``privileged``, hostPath
volumes, hostPorts or non-default capabilities is rejected with ``violates PodSecurity
"<level>:latest": ...``. The extra *restricted* checks (runAsNonRoot, seccomp...) are
not simulated.
"""

from __future__ import annotations

from typing import Any

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.discovery import ResourceType
from kfwizard.emulator.kube.podutil import is_ready
from kfwizard.emulator.kube.selectors import map_matcher, selector_matcher
from kfwizard.emulator.kube.store import Obj, Store, meta

WEBHOOK_KEYS = (
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
)
_EXEMPT_KEYS = set(WEBHOOK_KEYS) | {
    ("", "events"),
    ("coordination.k8s.io", "leases"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"),
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
}
_BASELINE_CAPS = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}


def _rule_matches(rule: dict[str, Any], rt: ResourceType, operation: str, subresource: str) -> bool:
    ops = rule.get("operations") or []
    if "*" not in ops and operation not in ops:
        return False
    groups = rule.get("apiGroups") or []
    if "*" not in groups and rt.group not in groups:
        return False
    resource = f"{rt.plural}/{subresource}" if subresource else rt.plural
    wanted = rule.get("resources") or []
    matched = False
    for item in wanted:
        if (
            item == resource
            or item == "*/*"
            or (item == "*" and not subresource)
            or (item.startswith("*/") and subresource and item[2:] == subresource)
            or (item.endswith("/*") and item[:-2] == rt.plural and subresource)
        ):
            matched = True
    if not matched:
        return False
    scope = rule.get("scope", "*")
    return scope == "*" or (scope == "Namespaced") == rt.namespaced


class Admission:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- webhooks --------------------------------------------------------------------------
    def check_webhooks(
        self, rt: ResourceType, operation: str, obj: Obj, namespace: str, subresource: str = ""
    ) -> None:
        if rt.key in _EXEMPT_KEYS or rt.virtual:
            return
        labels = meta(obj).get("labels") or {}
        ns_labels: dict[str, str] = {}
        if rt.namespaced:
            ns_obj = self.store.peek(("", "namespaces"), "", namespace)
            ns_labels = (meta(ns_obj).get("labels") or {}) if ns_obj else {}
        elif rt.key == ("", "namespaces"):
            ns_labels = labels
        for key in WEBHOOK_KEYS:
            for config in sorted(self.store.items(key), key=lambda o: meta(o)["name"]):
                for hook in config.get("webhooks") or []:
                    if hook.get("failurePolicy", "Fail") != "Fail":
                        continue
                    if not any(
                        _rule_matches(r, rt, operation, subresource)
                        for r in hook.get("rules") or []
                    ):
                        continue
                    if (rt.namespaced or rt.key == ("", "namespaces")) and not selector_matcher(
                        hook.get("namespaceSelector")
                    )(ns_labels):
                        continue
                    if not selector_matcher(hook.get("objectSelector"))(labels):
                        continue
                    failure = self._unreachable(hook)
                    if failure:
                        raise errors.internal(
                            f'failed calling webhook "{hook.get("name", "")}": {failure}'
                        )

    def _unreachable(self, hook: dict[str, Any]) -> str | None:
        """Why the webhook's backend can't be called, or None when it answers."""
        ref = (hook.get("clientConfig") or {}).get("service")
        if not isinstance(ref, dict):
            return None
        ns, name = ref.get("namespace", ""), ref.get("name", "")
        port = ref.get("port", 443)
        path = ref.get("path", "") or ""
        timeout = hook.get("timeoutSeconds", 10)
        url = f"https://{name}.{ns}.svc:{port}{path}?timeout={timeout}s"
        service = self.store.peek(("", "services"), ns, name)
        if service is None:
            return f'failed to call webhook: Post "{url}": service "{name}" not found'
        if self.ready_backends(service):
            return None
        ip = (service.get("spec") or {}).get("clusterIP", "")
        refused = f"dial tcp {ip}:{port}: connect: connection refused"
        return f'failed to call webhook: Post "{url}": {refused}'

    def ready_backends(self, service: Obj) -> list[Obj]:
        """Ready pods selected by a Service (its endpoints), sorted by name."""
        match = map_matcher((service.get("spec") or {}).get("selector"))
        ns = meta(service).get("namespace", "")
        pods = [p for p in self.store.items(("", "pods"), ns) if match(meta(p).get("labels") or {})]
        return sorted((p for p in pods if is_ready(p)), key=lambda p: meta(p)["name"])

    # -- pod security ----------------------------------------------------------------------
    def pod_security(self, namespace: str, pod: Obj) -> str | None:
        """The PSA refusal text for a pod in ``namespace``, or None when admitted."""
        ns_obj = self.store.peek(("", "namespaces"), "", namespace)
        level = ((meta(ns_obj).get("labels") or {}) if ns_obj else {}).get(
            "pod-security.kubernetes.io/enforce", "privileged"
        )
        if level not in ("baseline", "restricted"):
            return None
        problems = baseline_violations(pod.get("spec") or {})
        if not problems:
            return None
        return f'violates PodSecurity "{level}:latest": {", ".join(problems)}'


def _quoted(kind: str, names: list[str]) -> str:
    plural = f"{kind}s" if len(names) > 1 else kind
    return f"{plural} " + ", ".join(f'"{n}"' for n in names)


def baseline_violations(spec: Obj) -> list[str]:
    out = []
    hosts = [f"{f}=true" for f in ("hostNetwork", "hostPID", "hostIPC") if spec.get(f)]
    if hosts:
        out.append(f"host namespaces ({', '.join(hosts)})")
    containers = list(spec.get("initContainers") or []) + list(spec.get("containers") or [])
    privileged = [
        c.get("name", "") for c in containers if (c.get("securityContext") or {}).get("privileged")
    ]
    if privileged:
        who = _quoted("container", privileged)
        out.append(f"privileged ({who} must not set securityContext.privileged=true)")
    caps = {}
    for c in containers:
        added = [
            a
            for a in ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
            if a not in _BASELINE_CAPS
        ]
        if added:
            caps[c.get("name", "")] = added
    if caps:
        parts = []
        for n, added in caps.items():
            names = ", ".join(f'"{a}"' for a in added)
            parts.append(
                f"{_quoted('container', [n])} must not include {names} "
                "in securityContext.capabilities.add"
            )
        out.append(f"non-default capabilities ({'; '.join(parts)})")
    host_paths = [v.get("name", "") for v in spec.get("volumes") or [] if "hostPath" in v]
    if host_paths:
        out.append(f"hostPath volumes ({_quoted('volume', host_paths)})")
    host_ports = [
        (c.get("name", ""), p.get("hostPort"))
        for c in containers
        for p in c.get("ports") or []
        if p.get("hostPort")
    ]
    if host_ports:
        text = ", ".join(f'container "{n}" uses hostPort {p}' for n, p in host_ports)
        out.append(f"hostPort ({text})")
    return out
