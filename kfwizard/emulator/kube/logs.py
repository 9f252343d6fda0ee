"""Container logs (``GET .../pods/<pod>/log``), with the API server's refusals.

Lines are written by the kubelet simulation when a container starts or crashes. After a
crash both the current and the ``previous`` log show the dead instance's lines; a
restart starts a fresh current log. Asking for a container that has not
started gets the same 400 text a real cluster gives (``container "x" in pod "y" is
waiting to start: ...``), which the wizard shows when diagnosing image pull errors.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from kfwizard.emulator.kube import errors
from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

_WAITING_TEXT = {
    "ErrImagePull": "trying and failing to pull image",
    "ImagePullBackOff": "trying and failing to pull image",
    "ContainerCreating": "ContainerCreating",
    "PodInitializing": "PodInitializing",
}


class LogBook:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._current: dict[tuple[str, str], list[str]] = {}
        self._previous: dict[tuple[str, str], list[str]] = {}

    def write(self, pod: Obj, container: str, lines: list[str]) -> None:
        with self._lock:
            self._current.setdefault((meta(pod).get("uid", ""), container), []).extend(lines)

    def terminated(self, pod: Obj, container: str) -> None:
        """The container exited: its lines are also what ``--previous`` shows while the
        kubelet backs off (the dead instance is still the latest one)."""
        key = (meta(pod).get("uid", ""), container)
        with self._lock:
            self._previous[key] = list(self._current.get(key, []))

    def restart(self, pod: Obj, container: str) -> None:
        key = (meta(pod).get("uid", ""), container)
        with self._lock:
            self._previous[key] = self._current.pop(key, [])

    def forget(self, uid: str) -> None:
        with self._lock:
            for store in (self._current, self._previous):
                for key in [k for k in store if k[0] == uid]:
                    del store[key]

    def read(self, pod: Obj, container: str | None, tail: int | None, previous: bool) -> str:
        name = meta(pod).get("name", "")
        spec = pod.get("spec") or {}
        names = [c.get("name", "") for c in spec.get("containers") or []]
        init_names = [c.get("name", "") for c in spec.get("initContainers") or []]
        if not container:
            if len(names) != 1:
                text = (
                    f"a container name must be specified for pod {name}, "
                    f"choose one of: [{' '.join(names)}]"
                )
                if init_names:
                    text += f" or one of the init containers: [{' '.join(init_names)}]"
                raise errors.bad_request(text)
            container = names[0]
        if container not in names and container not in init_names:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        key = (meta(pod).get("uid", ""), container)
        with self._lock:
            lines = list((self._previous if previous else self._current).get(key) or [])
        if previous and not lines:
            raise errors.bad_request(
                f'previous terminated container "{container}" in pod "{name}" not found'
            )
        if not lines and not previous:
            waiting = self._waiting_reason(pod, container)
            if waiting:
                raise errors.bad_request(
                    f'container "{container}" in pod "{name}" is waiting to start: {waiting}'
                )
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return "".join(f"{line}\n" for line in lines)

    @staticmethod
    def _waiting_reason(pod: Obj, container: str) -> str | None:
        status = pod.get("status") or {}
        for entry in (status.get("containerStatuses") or []) + (
            status.get("initContainerStatuses") or []
        ):
            if entry.get("name") == container:
                waiting = (entry.get("state") or {}).get("waiting")
                if waiting:
                    reason = waiting.get("reason", "ContainerCreating")
                    return _WAITING_TEXT.get(reason, reason)
                return None
        return "ContainerCreating"
