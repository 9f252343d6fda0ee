"""core/v1 Events, recorded the way kubelet, the scheduler and controllers do.

Why they matter: ``kubectl describe`` and the wizard's diagnosis read them
(FailedScheduling, FailedCreate, Failed to pull image, BackOff...). Repeats of the same
(object, reason, message) are aggregated into one Event whose ``count`` grows, as the
real event recorder does, so a crash loop does not flood the namespace.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import TYPE_CHECKING, Any

from kfwizard.emulator.kube.errors import ApiError
from kfwizard.emulator.kube.registry import now_rfc3339
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

EVENTS = ("", "events")

_QUOTED = re.compile(r'"[^"]*"')


def similar(message: str) -> str:
    """A message with quoted names blanked: `pods "x-1" is forbidden` ~ `pods "x-2" ...`.

    The real recorder aggregates such near-repeats (its EventAggregator keys on
    everything but the message), which is what keeps a controller that keeps retrying
    from flooding the namespace with one Event per attempt.
    """
    return _QUOTED.sub('""', message)


class EventRecorder:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._index: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        self._counter = 0

    def record(
        self,
        involved: Obj,
        event_type: str,
        reason: str,
        message: str,
        component: str,
        host: str = "",
    ) -> None:
        """Record (or bump) an Event about ``involved``; failures are ignored, as a
        real component ignores a failed event write."""
        cluster = self.cluster
        rt = cluster.discovery.lookup("", "v1", "events")
        if rt is None:
            return
        md = meta(involved)
        namespace = md.get("namespace") or "default"
        uid = md.get("uid", "")
        key = (uid, reason, similar(message), component)
        now = now_rfc3339()
        with cluster.store.lock:
            known = self._index.get(key)
            if known is not None:
                current = cluster.store.peek(EVENTS, *known)
                if current is not None:
                    bumped = copy.deepcopy(current)
                    bumped["count"] = int(current.get("count") or 1) + 1
                    bumped["lastTimestamp"] = now
                    bumped["message"] = message
                    cluster.store.commit(EVENTS, bumped, "MODIFIED", current)
                    return
            self._counter += 1
            suffix = hashlib.sha256(f"{uid}{reason}{self._counter}".encode()).hexdigest()[:16]
            name = f"{md.get('name', 'unknown')}.{suffix}"
            source: dict[str, Any] = {"component": component}
            if host:
                source["host"] = host
            event: dict[str, Any] = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": {
                    "kind": involved.get("kind", ""),
                    "namespace": md.get("namespace", ""),
                    "name": md.get("name", ""),
                    "uid": uid,
                    "apiVersion": involved.get("apiVersion", ""),
                    "resourceVersion": md.get("resourceVersion", ""),
                },
                "reason": reason,
                "message": message,
                "source": source,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
                "type": event_type,
                "reportingComponent": component,
                "reportingInstance": host,
            }
            if not md.get("namespace"):
                event["involvedObject"].pop("namespace")
            try:
                cluster.registry.create(rt, event, namespace)
            except ApiError:
                return
            self._index[key] = (namespace, name)
