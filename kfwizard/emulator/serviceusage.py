"""Service Usage v1 REST emulator: which Google APIs a project has enabled.

Routes (as ``service_usage_v1`` REST and gcloud call them): services get / list (``filter=
state:ENABLED|DISABLED``, ``pageSize``/``pageToken``) / batchGet / ``:enable`` /
``:disable`` / ``:batchEnable``, and ``GET /v1/operations/{id}`` for polling. Enabling
returns a ``google.longrunning.Operation`` that is done after ``ENABLE_SECONDS * speed``
(at once when speed is 0, which real Service Usage also does for services that are
already on); its response is the packed ``EnableServiceResponse`` or
``BatchEnableServicesResponse``.

Projects spring into existence on first use with what a new project has enabled
(``catalog.DEFAULT_ENABLED``). The GKE emulator asks :meth:`is_enabled` before every
call, which is how "Kubernetes Engine API has not been used in project ..." comes about.
"""

from __future__ import annotations

import base64
import functools
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from kfwizard.emulator import catalog
from kfwizard.emulator.faults import Faults
from kfwizard.emulator.http import (
    ApiError,
    Request,
    Response,
    error_info,
    route,
)
from kfwizard.emulator.operations import Scheduler, longrunning_json
from kfwizard.emulator.projects import project_number
from kfwizard.emulator.served import ServedEmulator
from kfwizard.emulator.wire import message_dict

ENABLE_SECONDS = 4.0
"""How long enabling takes at demo pace (real: seconds to a minute)."""

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_DOMAIN = "serviceusage.googleapis.com"


def operation_suffix() -> str:
    """The random part of a Service Usage operation's name (a UUID, as Google's)."""
    return str(uuid.uuid4())


@dataclass
class ProjectServices:
    project_id: str
    number: str
    enabled: set[str] = field(default_factory=set)


@dataclass
class _Operation:
    name: str
    done: bool
    kind: str
    """"enable", "batchEnable" or "disable"."""
    project_id: str
    services: list[str]


class ServiceUsageEmulator(ServedEmulator):
    """Per-project service state behind a loopback Service Usage v1 REST endpoint."""

    def __init__(
        self,
        *,
        speed: float = 0.0,
        faults: Faults | None = None,
        default_enabled: tuple[str, ...] | list[str] | None = None,
        lock: threading.RLock | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.speed = speed
        self.faults = faults if faults is not None else Faults()
        self.default_enabled = tuple(
            catalog.DEFAULT_ENABLED if default_enabled is None else default_enabled
        )
        self.lock = lock or threading.RLock()
        self._own_time(scheduler, speed, self.lock, "serviceusage-time")
        self.projects: dict[str, ProjectServices] = {}
        self.operations: dict[str, _Operation] = {}
        self._serve("serviceusage", self._routes(), faults=self.faults, service=_DOMAIN)

    # -- state used by the stack and the GKE emulator --------------------------------
    def project(self, project: str) -> ProjectServices:
        """The project by id or number (``projects/`` prefix allowed); created on first use."""
        key = project.removeprefix("projects/")
        with self.lock:
            if key in self.projects:
                return self.projects[key]
            for state in self.projects.values():
                if state.number == key:
                    return state
            state = ProjectServices(key, project_number(key), set(self.default_enabled))
            self.projects[key] = state
            return state

    def set_enabled(self, project: str, services: list[str] | tuple[str, ...]) -> None:
        """Replace a project's enabled services (set-up, not an API call)."""
        with self.lock:
            self.project(project).enabled = set(services)

    def enable_now(self, project: str, services: list[str] | tuple[str, ...]) -> None:
        with self.lock:
            self.project(project).enabled.update(catalog.with_dependencies(list(services)))

    def is_enabled(self, project: str, service: str) -> bool:
        with self.lock:
            return service in self.project(project).enabled

    def enabled(self, project: str) -> list[str]:
        with self.lock:
            return sorted(self.project(project).enabled)

    def to_state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "projects": {
                    pid: {"enabled": sorted(p.enabled)} for pid, p in self.projects.items()
                },
                "operations": [
                    {
                        "name": op.name,
                        "done": op.done,
                        "kind": op.kind,
                        "project": op.project_id,
                        "services": op.services,
                    }
                    for op in self.operations.values()
                ],
            }

    def load_state(self, data: dict[str, Any]) -> None:
        """Restore projects and operations; unfinished operations finish on schedule."""
        with self.lock:
            for pid, pdata in (data.get("projects") or {}).items():
                self.project(pid).enabled = set(pdata.get("enabled") or ())
            for raw in data.get("operations") or ():
                op = _Operation(
                    raw["name"], bool(raw["done"]), raw["kind"], raw["project"], raw["services"]
                )
                self.operations[op.name] = op
                if not op.done:
                    self.scheduler.after(ENABLE_SECONDS, functools.partial(self._finish, op))

    # -- routes -----------------------------------------------------------------------
    def _routes(self) -> list:
        base = "/v1/{ptype}/{pid}/services"
        return [
            route("GET", base, self._list),
            route("GET", base + ":batchGet", self._batch_get),
            route("POST", base + ":batchEnable", self._batch_enable),
            route("GET", base + "/{service}", self._get),
            route("POST", base + "/{service}:enable", self._enable),
            route("POST", base + "/{service}:disable", self._disable),
            route("GET", "/v1/operations/{op}", self._get_operation),
            route("GET", "/v1/operations", self._list_operations),
        ]

    def _service_dict(self, state: ProjectServices, service: str, int_enums: bool) -> dict:
        from google.cloud import service_usage_v1 as su

        message = su.Service(
            name=f"projects/{state.number}/services/{service}",
            parent=f"projects/{state.number}",
            state=su.State.ENABLED if service in state.enabled else su.State.DISABLED,
            config=su.ServiceConfig(
                name=service,
                title=catalog.title(service),
                usage={"requirements": ["serviceusage.googleapis.com/tos/cloud"]},
            ),
        )
        return message_dict(message, int_enums=int_enums)

    def _consumer(self, req: Request) -> ProjectServices:
        if req.params["ptype"] != "projects":
            raise ApiError(
                400,
                f"Invalid parent: {req.params['ptype']}/{req.params['pid']}. "
                "Only projects are supported by this emulator.",
            )
        return self.project(req.params["pid"])

    def _check_known(self, services: list[str]) -> None:
        unknown = [s for s in services if not catalog.known(s)]
        if unknown:
            names = ", ".join(unknown)
            raise ApiError(
                403,
                f"Not found or permission denied for service(s): {names}.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                        "violations": [
                            {
                                "type": "googleapis.com",
                                "subject": f"?error_code=220002&services={names}",
                            }
                        ],
                    },
                    error_info(
                        "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED", _DOMAIN, services=names
                    ),
                ],
            )

    def _check_permission(self, state: ProjectServices, services: list[str]) -> None:
        if not self.faults.services_permission_denied:
            return
        raise ApiError(
            403,
            f"Permission denied to enable service [{services[0]}]",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.PreconditionFailure",
                    "violations": [{"type": "googleapis.com", "subject": "110002"}],
                },
                error_info(
                    "AUTH_PERMISSION_DENIED",
                    _DOMAIN,
                    permission="serviceusage.services.enable",
                    resource=f"projects/{state.project_id}",
                ),
            ],
        )

    def _get(self, req: Request) -> Response:
        state = self._consumer(req)
        service = req.params["service"]
        self._check_known([service])
        return Response(200, self._service_dict(state, service, req.int_enums))

    def _batch_get(self, req: Request) -> Response:
        state = self._consumer(req)
        names = [n.rsplit("/", 1)[-1] for n in req.query.get("names", [])]
        if len(names) > 30:
            raise ApiError(400, "At most 30 services may be requested at once.")
        self._check_known(names)
        services = [self._service_dict(state, n, req.int_enums) for n in names]
        return Response(200, {"services": services})

    def _list(self, req: Request) -> Response:
        state = self._consumer(req)
        wanted = (req.arg("filter") or "").replace(" ", "")
        with self.lock:
            if wanted in ("state:ENABLED", "state=ENABLED"):
                names = sorted(state.enabled)
            elif wanted in ("state:DISABLED", "state=DISABLED"):
                names = sorted(set(catalog.TITLES) - state.enabled)
            elif wanted == "":
                names = sorted(set(catalog.TITLES) | state.enabled)
            else:
                raise ApiError(400, f"Invalid filter: {req.arg('filter')}")
        size = _page_size(req.arg("pageSize"))
        start = _page_start(req.arg("pageToken"))
        page = names[start : start + size]
        body: dict[str, Any] = {
            "services": [self._service_dict(state, n, req.int_enums) for n in page]
        }
        if start + size < len(names):
            body["nextPageToken"] = _token(start + size)
        return Response(200, body)

    def _enable(self, req: Request) -> Response:
        state = self._consumer(req)
        service = req.params["service"]
        self._check_permission(state, [service])
        self._check_known([service])
        return self._start(state, "enable", [service], req)

    def _batch_enable(self, req: Request) -> Response:
        state = self._consumer(req)
        services = [str(s) for s in (req.json().get("serviceIds") or [])]
        if not services:
            raise ApiError(400, "Request must contain at least one service id.")
        if len(services) > 20:
            raise ApiError(400, "No more than 20 services can be enabled in one request.")
        self._check_permission(state, services)
        self._check_known(services)
        return self._start(state, "batchEnable", services, req)

    def _disable(self, req: Request) -> Response:
        state = self._consumer(req)
        service = req.params["service"]
        self._check_known([service])
        body = req.json()
        with self.lock:
            blockers = catalog.dependents(service, state.enabled)
            if blockers and not body.get("disableDependentServices"):
                raise ApiError(
                    400,
                    f"The service {service} is depended on by the following active "
                    f"service(s): {','.join(blockers)}; Please specify "
                    "disable_dependent_services=true if you want to proceed with "
                    "disabling all services.",
                    status="FAILED_PRECONDITION",
                    details=[
                        error_info(
                            "COMMON_SU_SERVICE_HAS_DEPENDENT_SERVICES",
                            _DOMAIN,
                            service=service,
                            dependentServices=",".join(blockers),
                        )
                    ],
                )
            services = [service, *blockers] if body.get("disableDependentServices") else [service]
        return self._start(state, "disable", services, req)

    def _start(
        self, state: ProjectServices, kind: str, services: list[str], req: Request
    ) -> Response:
        with self.lock:
            name = f"operations/acf.p2-{state.number}-{operation_suffix()}"
            op = _Operation(name, False, kind, state.project_id, services)
            self.operations[name] = op
            if self.speed == 0:
                self._finish(op)
            else:
                self.scheduler.after(ENABLE_SECONDS, lambda: self._finish(op))
            return Response(200, self._op_json(op, req.int_enums))

    def _finish(self, op: _Operation) -> None:
        with self.lock:
            if op.done:
                return
            state = self.project(op.project_id)
            if op.kind == "disable":
                state.enabled.difference_update(op.services)
            else:
                state.enabled.update(catalog.with_dependencies(op.services))
            op.done = True

    def _op_json(self, op: _Operation, int_enums: bool) -> str:
        from google.cloud import service_usage_v1 as su

        state = self.project(op.project_id)

        def service(name: str) -> Any:
            return su.Service(
                name=f"projects/{state.number}/services/{name}",
                parent=f"projects/{state.number}",
                state=su.State.DISABLED if op.kind == "disable" else su.State.ENABLED,
                config=su.ServiceConfig(name=name, title=catalog.title(name)),
            )

        response: Any
        if op.kind == "batchEnable":
            response = su.BatchEnableServicesResponse(services=[service(n) for n in op.services])
        elif op.kind == "enable":
            response = su.EnableServiceResponse(service=service(op.services[0]))
        else:
            response = su.DisableServiceResponse(service=service(op.services[0]))
        metadata = su.OperationMetadata(
            resource_names=[f"projects/{state.number}/services/{n}" for n in op.services]
        )
        return longrunning_json(
            op.name, done=op.done, response=response, metadata=metadata, int_enums=int_enums
        )

    def _get_operation(self, req: Request) -> Response:
        name = f"operations/{req.params['op']}"
        with self.lock:
            op = self.operations.get(name)
            if op is None:
                raise ApiError(404, f"Operation '{name}' not found.")
            return Response(200, self._op_json(op, req.int_enums))

    def _list_operations(self, req: Request) -> Response:
        import json

        with self.lock:
            ops = [json.loads(self._op_json(op, req.int_enums)) for op in self.operations.values()]
        return Response(200, {"operations": ops})


def _page_size(raw: str | None) -> int:
    if not raw:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid value for pageSize: {raw}") from None
    if size < 0:
        raise ApiError(400, "pageSize must not be negative.")
    return min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _page_start(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        return int(text.removeprefix("offset:"))
    except Exception:
        raise ApiError(400, "Invalid page token.") from None
