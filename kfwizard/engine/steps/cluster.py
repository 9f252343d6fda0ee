"""Cluster phase: get a GKE cluster (create, adopt, or a kubeconfig context) and connect.

``cluster`` never creates twice: before sending a create request it notes the intent
in the session, right after it records the operation and the inventory, and on resume
it follows the recorded operation instead of asking again. A name that already exists
is adopted only when this session asked for it or the user chose an existing cluster.
``connect`` proves the API answers (``GET /version``) with a client built in-process,
then writes the same kubeconfig context ``gcloud container clusters get-credentials``
would, so the user can keep going with kubectl.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfwizard.engine import cluster_inventory
from kfwizard.engine.errors import BadInput, Cancelled, Refused, StepFailed
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.gcp import runtime
from kfwizard.wording import clip

if TYPE_CHECKING:
    from kfwizard.session import Session

RUNNING = "RUNNING"
SETTLING = ("PROVISIONING", "RECONCILING")


def _cluster_sel(selections: dict[str, Any]) -> dict[str, Any]:
    return dict(selections.get("cluster") or {})


def _source(selections: dict[str, Any]) -> str:
    return str(_cluster_sel(selections).get("source") or "create")


def _mode(selections: dict[str, Any]) -> str:
    return str((selections.get("deployment") or {}).get("mode") or "kfp-standalone")


def _size(machine_type: str, nodes: int, selections: dict[str, Any]) -> Any:
    from kfwizard.gcp import sizing

    deployment = selections.get("deployment") or {}
    return sizing.size_node_pool(
        machine_type, nodes, _mode(selections), deployment.get("version"), deployment.get("env")
    )


def _location_flag(location: str) -> str:
    from kfwizard.gcp import locations

    return f"--region={location}" if locations.is_region(location) else f"--zone={location}"


def await_operation(
    ctx: StepContext,
    client: Any,
    op_name: str,
    *,
    eta: float,
    on_timeout: Callable[[Any], StepFailed],
    progress: Callable[[int, int, str], Any] | None = None,
) -> Any:
    """Follow a GKE operation to DONE with the step's cancellable sleep, its timeout
    and retry policy; a timeout becomes ``on_timeout(exc)`` (words for what waited).
    The cluster step and the teardown's cluster delete both wait this way."""
    from kfwizard.gcp import clusters

    try:
        return clusters.follow_operation(
            client,
            op_name,
            sleep=ctx.sleep,
            log=ctx.log,
            progress=progress,
            timeout=runtime.timeout(ctx, "cluster"),
            interval=runtime.poll_interval(ctx),
            eta=eta,
            clock=time.monotonic,
            retry=runtime.retry_policy(ctx),
        )
    except clusters.OperationTimeout as exc:
        raise on_timeout(exc) from exc


def _project_for_commands(session: Session) -> str:
    found = (session.outputs.get("credentials") or {}).get("project")
    return str(found or session.selections.get("project") or "PROJECT_ID")


EXISTING_LABEL = "Existing GKE"
"""The Cluster screen's name for ``cluster.source: existing``; error messages that
send the user there use the words the screen shows."""
STOCKOUTS = "stockout_zones"
"""Cluster output: the zones where this session's creates ran out of capacity, so the
advice after the next stockout names none of them again."""
CREATE_FAILED = "create_failed"
"""Cluster output: the create this session followed ended in an error (a stockout, a
quota), so pressing on is a new create, not the old one followed."""
CREATE, FOLLOW, REUSE, ADOPT, CONTEXT = "create", "follow", "reuse", "adopt", "context"
"""What the cluster step will do (``next_action``): create a cluster, follow a create an
earlier run started, use the cluster this session created, adopt an existing cluster,
or take a kubeconfig context."""


def next_action(session: Session) -> str:
    """What the cluster step will do with these answers, as far as the session knows
    (no call to GKE: the screen asks on every key press).

    A "New cluster" answer does not always mean a create: a run stopped mid-create left
    an operation GKE goes on with, which the step follows (``FOLLOW``); a cluster this
    session created, and no teardown deleted, is used as it is (``REUSE``). The commands
    shown, the Cluster screen's button and whether that button agrees to a billable
    create all follow from this, so none of them promises a create that will not happen.
    The step itself decides with GKE's answers (a followed create that failed is tried
    again, and then asks for consent like any create).
    """
    source = _source(session.selections)
    if source == "kubeconfig":
        return CONTEXT
    if source == "existing":
        return ADOPT
    sel = _cluster_sel(session.selections)
    name, location = sel.get("name"), sel.get("location")
    if not name or not location:
        return CREATE
    target = (_project_for_commands(session), str(location), str(name))
    current = cluster_inventory.current_cluster(session.inventory)
    if current.get("deleted") and cluster_inventory.where(current) == target:
        return CREATE  # a teardown deleted it: Install again creates it anew
    out = session.outputs.get("cluster") or {}
    if out.get("name") == name and out.get("location") == location:
        if out.get(CREATE_FAILED):
            return CREATE  # the step deletes the failed cluster and creates it again
        if not out.get("status") and (out.get("operation") or out.get("create_requested")):
            return FOLLOW  # requested, never seen to the end (the step sets a status then)
        if out.get("created_by_session"):
            return REUSE
    if cluster_inventory.created_here(session.inventory, *target):
        return REUSE
    return CREATE


def still_creating(session: Session) -> str:
    """Stopping kfwizard does not stop GKE: a create runs to its end. Said with the
    stop (and by the wizard's quit question), so nobody takes "stopped" to mean there
    is no cluster."""
    name = _cluster_sel(session.selections).get("name") or "the cluster"
    then = (
        "to not keep it, tear this session down with --delete-cluster, which deletes "
        f"it (kfwizard teardown --session {session.id} --delete-cluster; without "
        "the flag the cluster is kept)"
        if (session.outputs.get("cluster") or {}).get("created_by_session")
        else "it is not this session's to delete"
    )
    return (
        f"GKE goes on creating {name}: a create cannot be stopped halfway. Resume "
        f"follows the same operation and never creates a second cluster; {then}."
    )


def _not_ours(project: str, location: str, name: str) -> StepFailed:
    return StepFailed(
        f"A cluster named {name} already exists in {project} at {location}, and this "
        "session did not create it.",
        f"to install into it, choose {EXISTING_LABEL} (cluster.source: existing); "
        "otherwise pick another cluster name",
    )


def _is_google_error(exc: BaseException) -> bool:
    """Errors the explainer knows how to word (a library ``RetryError`` by its cause)."""
    from kfwizard.gcp.retries import is_google_error

    return is_google_error(exc)


def _read_cluster(ctx: StepContext, client: Any, project: str, location: str, name: str) -> Any:
    """The cluster (None when GKE says it does not exist), retried cancellably."""
    from kfwizard.gcp import clusters
    from kfwizard.gcp.retries import call_with_retries

    return call_with_retries(
        lambda: clusters.get_cluster(client, project, location, name),
        what="reading the cluster",
        sleep=ctx.sleep,
        log=ctx.log,
        policy=runtime.retry_policy(ctx),
    )


def _pem(ca_b64: str) -> str:
    if not ca_b64:
        return ""
    try:
        return base64.b64decode(ca_b64).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return ca_b64


def validate_cluster_selections(selections: dict[str, Any]) -> None:
    """Raise :class:`BadInput` naming the first field that breaks a rule."""
    from kfwizard.gcp import validation

    sel = _cluster_sel(selections)
    source = _source(selections)
    if source not in ("create", "existing", "kubeconfig"):
        raise BadInput("cluster.source", "must be one of create, existing, kubeconfig", source)
    if source == "kubeconfig":
        rule = validation.validate_kube_context(sel.get("context"))
        if rule:
            raise BadInput("cluster.context", rule, sel.get("context"))
        return
    checks = [("cluster.name", validation.validate_cluster_name, sel.get("name"))]
    if source == "create" or sel.get("location") not in (None, "", "-"):
        checks.append(("cluster.location", validation.validate_location, sel.get("location")))
    if source == "create":
        checks += [
            (
                "cluster.machine_type",
                validation.validate_machine_type,
                sel.get("machine_type", "n1-standard-2"),
            ),
            ("cluster.nodes", validation.validate_node_count, sel.get("nodes", 3)),
            ("cluster.scopes", validation.validate_scopes, sel.get("scopes", [])),
        ]
    for field, check, value in checks:
        rule = check(value)
        if rule:
            raise BadInput(field, rule, value)


class LiveSize:
    """What a GKE cluster really runs: its first node pool's machine type and name, the
    machine types of all its pools, and its node count (every pool, every zone)."""

    def __init__(
        self,
        machine_type: str,
        pool: str,
        pool_types: set[str],
        nodes: int | None,
        autoscaled: bool = False,
    ):
        self.machine_type = machine_type
        self.pool = pool
        self.pool_types = pool_types
        self.nodes = nodes
        self.autoscaled = autoscaled
        """The autoscaler moves the node count: no count is "the" size to compare."""

    def shown(self) -> str:
        return f"{self.nodes if self.nodes is not None else '?'} x {self.machine_type or '?'}"


def _live_size(cluster: Any) -> LiveSize:
    """Read from the cluster GKE returned, not from the answers: outputs say what is."""
    pools = list(cluster.node_pools)
    machine = (pools[0].config.machine_type if pools else "") or cluster.node_config.machine_type
    nodes = cluster.current_node_count or sum(p.initial_node_count for p in pools) or None
    return LiveSize(
        machine,
        (pools[0].name if pools else "") or "default-pool",
        {p.config.machine_type for p in pools if p.config.machine_type} or {machine},
        nodes,
        any(p.autoscaling.enabled for p in pools),
    )


def _size_differs_warning(
    live: LiveSize, sel: dict[str, Any], *, project: str, name: str, location: str
) -> str:
    """The sentence for an existing cluster whose size is not the answers' size, with the
    commands that change it (empty when it matches).

    A machine type counts as matching when any node pool has it (the user may have added
    a pool of the larger type, as this warning suggests)."""
    want_machine = str(sel.get("machine_type") or "n1-standard-2")
    want_nodes = int(sel.get("nodes") or 3)
    want_total = _total_nodes(location, want_nodes)
    other_machine = bool(live.machine_type) and want_machine not in live.pool_types
    other_count = not live.autoscaled and live.nodes is not None and live.nodes != want_total
    if not (other_machine or other_count):
        return ""
    where = f"{_location_flag(location)} --project={project}"
    if other_machine:
        change = (
            f"add a node pool of {want_machine} (gcloud container node-pools create kfp-pool "
            f"--cluster={name} --machine-type={want_machine} --num-nodes={want_nodes} {where})"
        )
    else:
        change = (
            f"{'add nodes' if live.nodes is not None and live.nodes < want_total else 'resize'}"
            f" (gcloud container clusters resize {name} --node-pool={live.pool} "
            f"--num-nodes={want_nodes} {where})"
        )
    return (
        f"Cluster {name} exists with {live.shown()}; the answers say "
        f"{want_total} x {want_machine}. kfwizard does not resize or replace an existing "
        "cluster (a resize is billed, another machine type needs a new node pool), so it "
        f"goes on with the cluster as it is. To change it: {change}, or choose a new "
        "cluster name to create a new cluster (the old one keeps running until a teardown "
        "deletes it)."
    )


def _total_nodes(location: str, nodes: int) -> int:
    from kfwizard.gcp.clusters import total_nodes

    return total_nodes(location, nodes)


class ClusterStep(BaseStep):
    """Create a GKE cluster (following its operation), adopt one, or take a context."""

    id = "cluster"
    TARGET_OUTPUTS = ("name", "location", "endpoint", "context")
    """When one changes, later steps were done against another cluster (a new one
    has nothing installed on it)."""
    eta_seconds = 300.0

    def __init__(self, source: str | None = None) -> None:
        self.source = source or "create"
        """Where the cluster comes from (``cluster.source``)."""
        self.title = "kubeconfig context" if self.source == "kubeconfig" else "GKE cluster"
        """A kubeconfig context may not be GKE at all: the step list, the log and the
        failure panel must not call it a GKE cluster."""

    # -- what a person would type ---------------------------------------------------------------
    def commands(self, session: Session) -> list[str]:
        sel = _cluster_sel(session.selections)
        source = _source(session.selections)
        project = _project_for_commands(session)
        name = sel.get("name") or "kubeflow-testing"
        location = sel.get("location") or "us-central1-a"
        if source == "kubeconfig":
            return [f"kubectl config use-context {sel.get('context') or 'CONTEXT'}"]
        action = next_action(session)
        where = f"--project={project} {_location_flag(location)}"
        operation = str((session.outputs.get("cluster") or {}).get("operation") or "")
        if action == FOLLOW and operation:
            return [f"gcloud container operations wait {operation.rsplit('/', 1)[-1]} {where}"]
        if action != CREATE:  # there is a cluster already: read it, do not create one
            return [f"gcloud container clusters describe {name} {where}"]
        version = (
            (session.outputs.get("cluster") or {}).get("version") or sel.get("version") or "latest"
        )
        scopes = ",".join(sel.get("scopes") or ["gke-default"])
        return [
            f"gcloud container clusters create {name} --project={project} "
            f"{_location_flag(location)} "
            f"--machine-type={sel.get('machine_type') or 'n1-standard-2'} "
            f"--num-nodes={sel.get('nodes') or 3} --scopes={scopes} --cluster-version={version}"
        ]

    # -- already done? --------------------------------------------------------------------------
    def check(self, ctx: StepContext) -> bool:
        from kfwizard.gcp import clusters

        sel = _cluster_sel(ctx.selections)
        out = ctx.outputs
        if _source(ctx.selections) == "kubeconfig":
            from kfwizard.gcp import kubeconfig

            path = out.get("kubeconfig")
            return (
                bool(out.get("context"))
                and out.get("context") == sel.get("context")
                and bool(path)
                and kubeconfig.has_context(Path(str(path)), str(out["context"]))
            )
        if out.get("status") != RUNNING or out.get("name") != sel.get("name"):
            return False
        if sel.get("location") not in (None, "", "-") and out.get("location") != sel.get(
            "location"
        ):
            return False
        project = runtime.project_of(ctx)
        if not project:
            return False
        cluster = clusters.get_cluster(
            runtime.cluster_manager(ctx), project, out["location"], out["name"]
        )
        if cluster is None or clusters.cluster_status(cluster) != RUNNING:
            return False
        if not self._same_address(ctx, cluster):
            return False
        self._note_size(ctx, cluster)
        return True

    def _same_address(self, ctx: StepContext, cluster: Any) -> bool:
        """The endpoint and CA the session kept are still the cluster's.

        They change when GKE rotates the control plane's IP or credentials, and on a
        ``--demo`` resume whose cluster port another program took. Later steps dial what the
        session kept, so a change means "not done": the step runs again and re-reads them.
        """
        out = ctx.outputs
        endpoint = cluster.endpoint
        if endpoint != out.get("endpoint"):
            ctx.log(
                f"cluster {out.get('name')}: its endpoint changed from {out.get('endpoint')} "
                f"to {endpoint}; reading it again"
            )
            return False
        if _pem(cluster.master_auth.cluster_ca_certificate) != out.get("ca_certificate"):
            ctx.log(f"cluster {out.get('name')}: its CA certificate changed; reading it again")
            return False
        return True

    # -- doing it -------------------------------------------------------------------------------
    def apply(self, ctx: StepContext) -> None:
        from kfwizard.gcp import explain

        validate_cluster_selections(ctx.selections)
        source = _source(ctx.selections)
        if source == "kubeconfig":
            self._use_context(ctx)
            return
        project = runtime.project_of(ctx)
        if not project:
            raise BadInput("project", "a project is needed to find or create a GKE cluster")
        sel = _cluster_sel(ctx.selections)
        nodes = sel.get("nodes")
        if source == "create" and isinstance(nodes, int):
            from kfwizard.gcp.clusters import total_nodes

            nodes = total_nodes(str(sel["location"]), nodes)  # all zones of a region
        facts = explain.Facts(
            project=project,
            location=sel.get("location"),
            cluster=sel.get("name"),
            machine_type=sel.get("machine_type"),
            nodes=nodes,
            stocked_out=tuple(str(z) for z in ctx.outputs.get(STOCKOUTS) or ()),
        )
        try:
            if source == "existing":
                self._adopt(ctx, project, facts)
            else:
                self._create(ctx, project, facts)
        except StepFailed:
            raise
        except Exception as exc:
            if not _is_google_error(exc):
                raise
            during = "cluster.create" if source == "create" else "cluster.get"
            raise explain.explain_api_error(exc, during, facts) from exc

    # kubeconfig --------------------------------------------------------------------------------
    def _use_context(self, ctx: StepContext) -> None:
        from kfwizard.gcp import kubeconfig

        context = str(_cluster_sel(ctx.selections).get("context"))
        env = runtime.env_of(ctx)
        path, names = kubeconfig.find_context(env, context)
        if path is None:
            files = os.pathsep.join(str(f) for f in kubeconfig.kubeconfig_files(env))
            problems = kubeconfig.file_problems(env)
            if not names and problems:  # no file to look in: not the context's fault
                where = "$KUBECONFIG" if env.get("KUBECONFIG") else "the default kubeconfig"
                raise BadInput(
                    "KUBECONFIG",
                    f"{'; '.join(problems)}: {where} gives no context to use; point "
                    "KUBECONFIG at the file that has it",
                    files,
                )
            known = ", ".join(names) if names else "none"
            unread = f"; not read: {'; '.join(problems)}" if problems else ""
            raise BadInput(
                "cluster.context",
                f"context not found in {files} (contexts there: {known}{unread})",
                context,
            )
        ctx.log(f"using kubeconfig context {context} from {path}")
        self._use_cluster(ctx, None, created=False)
        ctx.outputs.update(
            {
                "name": context,
                "location": None,
                "endpoint": None,
                "ca_certificate": None,
                "version": None,
                "status": "external",
                "created_by_session": False,
                "operation": None,
                "autopilot": None,
                "machine_type": None,
                "nodes": None,
                "context": context,
                "kubeconfig": str(path),
            }
        )

    # sizing ------------------------------------------------------------------------------------
    def _report_size(self, ctx: StepContext, machine_type: str, nodes: int, location: str) -> None:
        from kfwizard.gcp import clusters, sizing, validation

        total = clusters.total_nodes(location, nodes)
        spread = clusters.region_spread(location, nodes)
        if spread:
            ctx.log(spread)
        warning = validation.machine_type_warning(machine_type)
        if warning:
            ctx.log(f"warning: {warning}")
        size = _size(machine_type, total, ctx.selections)
        ctx.log(*size.lines())
        ctx.detail("sizing", size.as_dict())
        cost = sizing.cost_summary(machine_type, total)
        if cost is not None:
            ctx.log(sizing.cost_line(cost))
            ctx.detail("cost", cost)

    # create ------------------------------------------------------------------------------------
    def _create(self, ctx: StepContext, project: str, facts: Any) -> None:
        from google.api_core import exceptions as gexc

        from kfwizard.gcp import clusters
        from kfwizard.gcp.explain import is_capacity_error
        from kfwizard.gcp.retries import call_with_retries

        sel = _cluster_sel(ctx.selections)
        name, location = str(sel["name"]), str(sel["location"])
        machine_type = str(sel.get("machine_type") or "n1-standard-2")
        nodes = int(sel.get("nodes") or 3)
        client = runtime.cluster_manager(ctx)
        policy = runtime.retry_policy(ctx)
        out = ctx.outputs
        same_target = out.get("name") == name and out.get("location") == location
        if not same_target:
            for key in ("operation", "create_requested", "created_by_session", "status"):
                out.pop(key, None)
            out.pop(CREATE_FAILED, None)
        self._report_size(ctx, machine_type, nodes, location)

        def retried(fn: Any, what: str) -> Any:
            return call_with_retries(
                fn,
                what=what,
                sleep=ctx.sleep,
                log=ctx.log,
                policy=policy,
                permanent=is_capacity_error,
            )

        # 1. An operation this session started and that may still run: follow it.
        recorded = out.get("operation")
        if recorded:
            op = retried(
                lambda: clusters.get_operation(client, recorded), "reading the recorded operation"
            )
            state = clusters.enum_name(op.status)
            if state in clusters.RUNNING_OPERATION_STATES:
                ctx.log(
                    f"resuming: following operation {recorded} started earlier (not creating again)"
                )
                self._follow(ctx, client, recorded, facts)
                self._finish(ctx, project, location, name, created=True)
                return
            error = clusters.operation_error(op)
            if error:
                ctx.log(f"the earlier create operation {recorded} failed: {error}")
                out.pop("operation", None)

        # 2. A cluster this session created that failed (ERROR, e.g. after a stockout) is
        #    useless and still billed: delete it before trying again.
        self._remove_failed(ctx, client, project, retried)

        # 3. The cluster may exist already (ours from an earlier run, or someone else's).
        existing = retried(
            lambda: clusters.get_cluster(client, project, location, name), "reading the cluster"
        )
        ours = bool(out.get("create_requested")) or self._inventory_says_ours(
            ctx, project, location, name
        )
        if existing is not None:
            if not ours:
                raise _not_ours(project, location, name)
            ctx.log(f"cluster {name} exists already (created by this session)")
            if not self._inventory_says_ours(ctx, project, location, name):
                # A run killed between the create request and its record: list it now,
                # or `teardown --delete-cluster` would leave a billable cluster running.
                self._inventory_created(ctx, project, location, name)
            self._settle(ctx, client, project, location, name, existing, facts)
            self._finish(ctx, project, location, name, created=True)
            return

        # 4. Create it: billed by the hour from here on.
        self._confirm_create(ctx, name, location, nodes, machine_type)
        wanted = sel.get("version") or "latest"
        version = retried(
            lambda: clusters.resolve_version(client, project, location, wanted),
            "reading GKE versions",
        )
        if version != wanted:
            ctx.log(f"cluster version {wanted} resolves to {version}")
        body = clusters.cluster_body(
            name=name,
            machine_type=machine_type,
            nodes=nodes,
            scopes=list(sel.get("scopes") or []),
            version=version,
        )
        out.update({"name": name, "location": location, "create_requested": True})
        out.pop(CREATE_FAILED, None)
        ctx.save()  # the intent is on disk before the request leaves
        total = clusters.total_nodes(location, nodes)
        each = f", {nodes} in each zone" if total != nodes else ""
        ctx.log(
            f"creating cluster {name} in {location} ({total} x {machine_type}{each}, "
            f"version {version})"
        )
        failed_tries: list[BaseException] = []

        def create() -> Any:
            try:
                return clusters.create_cluster(client, project, location, body)
            except Exception as exc:
                failed_tries.append(exc)
                raise

        def an_earlier_try_may_have_got_through() -> bool:
            """A retried try whose answer may have been lost (a 5xx, a dropped connection),
            not a refusal: the cluster may exist, and be this session's."""
            return not all(clusters.create_refused(exc) for exc in failed_tries[:-1])

        op_name: str | None
        try:
            op = retried(create, "creating the cluster")
            op_name = clusters.operation_path(project, location, op.name)
        except gexc.Conflict:
            if not an_earlier_try_may_have_got_through():
                # No try of ours can have created it (this is the first answered, or
                # those before were refused), and the name was free when the step looked
                # (before the question, which may stay open for minutes): someone else's.
                out.pop("create_requested", None)
                raise _not_ours(project, location, name) from None
            # It did not exist a moment ago, so our own (retried) request created it.
            ctx.log(f"cluster {name} already exists: a retried request of ours created it")
            found = clusters.find_running_operation(
                client, project, location, name, "CREATE_CLUSTER"
            )
            op_name = clusters.operation_path(project, location, found.name) if found else None
        except gexc.ClientError as exc:
            # GKE refused the request (a quota, a stockout): no operation runs, so pressing
            # on is a new create, not one to follow (see next_action).
            out[CREATE_FAILED] = True
            if clusters.create_refused(exc) and not an_earlier_try_may_have_got_through():
                # ...and no earlier try may have got through: nothing was created, so a
                # cluster of this name that appears later is someone else's.
                out.pop("create_requested", None)
            self._note_stockout(ctx, str(exc))
            raise
        self._record_created(ctx, project, location, name, op_name)
        if op_name:
            self._follow(ctx, client, op_name, facts)
        else:
            self._settle(ctx, client, project, location, name, None, facts)
        self._finish(ctx, project, location, name, created=True)

    def _confirm_create(
        self, ctx: StepContext, name: str, location: str, nodes: int, machine_type: str
    ) -> None:
        """A new cluster costs money until it is deleted, so it needs the user's yes.

        ``ctx.options["yes"]`` is that yes given up front (the wizard's Create button,
        ``--yes``, the demo); otherwise ``ctx.options["confirm"]`` asks (a terminal
        prompt). With neither, nothing is created: a resumed run must not quietly
        re-create a cluster the user deleted.
        """
        if ctx.options.get("yes"):
            return
        from kfwizard.gcp import clusters, sizing

        total = clusters.total_nodes(location, nodes)
        price = sizing.hourly_price(machine_type, total)
        price = f", {price}" if price else ""
        what = f"GKE cluster {name} in {location} ({total} x {machine_type}{price})"
        confirm = ctx.options.get("confirm")
        gone = (
            f"GKE no longer lists cluster {name}, which this session used. "
            if ctx.outputs.get("endpoint") and ctx.outputs.get("name") == name
            else ""
        )
        if confirm is not None:
            ctx.flush()  # the size and cost lines first: the question follows them
        if confirm is not None and confirm(f"{gone}Create {what}? It is billed until deleted."):
            return
        ctx.check_cancel()  # stopped while the question was open: interrupted, not refused
        if confirm is None:
            action = "run again with --yes to create it, or from a terminal and answer yes"
        else:
            action = (
                f"run again and agree when asked, or choose {EXISTING_LABEL} "
                "(cluster.source: existing)"
            )
        raise Refused(
            f"Creating {what} was not confirmed: a cluster is billed until it is deleted.", action
        )

    def _remove_failed(self, ctx: StepContext, client: Any, project: str, retried: Any) -> None:
        from kfwizard.gcp import clusters

        inv = ctx.session.inventory.get("cluster") or {}
        if not inv.get("created_by_session") or inv.get("project") != project:
            return
        old_name, old_location = str(inv.get("name")), str(inv.get("location"))
        old = retried(
            lambda: clusters.get_cluster(client, project, old_location, old_name),
            "reading the cluster created earlier",
        )
        if old is None:
            ctx.session.inventory.pop("cluster", None)
            ctx.save()
            return
        if clusters.cluster_status(old) != "ERROR":
            return  # if another cluster is chosen, _use_cluster warns that this one stays
        ctx.log(
            f"cluster {old_name} in {old_location}, created earlier by this session, is in ERROR "
            f"({clip(old.status_message, 160)}); deleting it before trying again"
        )
        op = retried(
            lambda: clusters.delete_cluster(client, project, old_location, old_name),
            "deleting the failed cluster",
        )
        name = clusters.operation_path(project, old_location, op.name)
        await_operation(
            ctx,
            client,
            name,
            eta=runtime.expected_seconds(ctx, "delete"),
            on_timeout=lambda exc: StepFailed(
                f"Deleting the failed cluster {old_name} did not finish in time ({exc}).",
                "resume later; GKE keeps deleting it in the background",
            ),
        )
        ctx.session.inventory.pop("cluster", None)
        for key in ("operation", "create_requested", "created_by_session", "status"):
            ctx.outputs.pop(key, None)
        ctx.save()
        ctx.log(f"deleted the failed cluster {old_name}")

    def _inventory_says_ours(
        self, ctx: StepContext, project: str, location: str, name: str
    ) -> bool:
        return cluster_inventory.created_here(ctx.session.inventory, project, location, name)

    def _record_created(
        self, ctx: StepContext, project: str, location: str, name: str, op_name: str | None
    ) -> None:
        ctx.outputs["operation"] = op_name
        self._inventory_created(ctx, project, location, name)
        if op_name:
            ctx.log(f"operation {op_name}")

    def _inventory_created(self, ctx: StepContext, project: str, location: str, name: str) -> None:
        """List the cluster as this session's (and save): what teardown deletes."""
        ctx.outputs["created_by_session"] = True
        self._use_cluster(ctx, (project, location, name), created=True)
        ctx.save()

    def _use_cluster(
        self, ctx: StepContext, target: cluster_inventory.Where | None, *, created: bool
    ) -> None:
        """Note the cluster the session uses now; a session-created cluster it leaves
        behind stays listed for the teardown, and the user hears that it keeps running.

        Not saved here: the runner saves when the step ends, and a run cut short before
        that does the same again (an unsaved change is redone, not lost). Only a create
        request must be on disk at once (``_inventory_created``)."""
        old = cluster_inventory.use_cluster(ctx.session.inventory, target, created=created)
        if old is None:
            return
        project, location, name = cluster_inventory.where(old)
        warning = (
            f"Cluster {name} in {location}, created earlier by this session, is still there "
            "(and billed) while this session uses another. A teardown that deletes the "
            "cluster deletes it too; to delete it now: gcloud container clusters delete "
            f"{name} --project={project} {_location_flag(location)} --quiet"
        )
        ctx.log(f"warning: {warning}")
        ctx.detail("warning", warning)  # shown, not only logged

    def _follow(self, ctx: StepContext, client: Any, op_name: str, facts: Any) -> None:
        from kfwizard.gcp import clusters, explain

        ctx.outputs["operation"] = op_name
        try:
            op = await_operation(
                ctx,
                client,
                op_name,
                eta=runtime.expected_seconds(ctx, "create"),
                progress=ctx.progress,
                on_timeout=lambda exc: StepFailed(
                    f"The cluster was still being created after {exc.elapsed / 60:.0f} minutes "
                    f"(operation {op_name}); GKE is still working on it.",
                    "resume later: kfwizard follows the same operation and never creates a "
                    "second cluster",
                ),
            )
        except Cancelled as exc:
            raise Cancelled(exc.cause, aftermath=self._still_creating(ctx)) from exc
        error = clusters.operation_error(op)
        if error:
            ctx.outputs[CREATE_FAILED] = True  # a resume creates anew (see next_action)
            failure = explain.explain_operation_error(error, facts)
            self._note_stockout(ctx, error)
            raise failure

    def _note_stockout(self, ctx: StepContext, text: str) -> None:
        """Remember the zone that ran out of capacity (after the advice that excludes
        it was worded), for the advice after the next stockout."""
        from kfwizard.gcp import explain

        location = _cluster_sel(ctx.selections).get("location")
        if not location or not explain.STOCKOUT_RE.search(text):
            return
        zones = [str(z) for z in ctx.outputs.get(STOCKOUTS) or []]
        for zone in (str(location), *explain.ZONE_IN_TEXT_RE.findall(text)):
            if zone not in zones:
                zones.append(zone)
        ctx.outputs[STOCKOUTS] = zones

    def _still_creating(self, ctx: StepContext) -> str:
        return still_creating(ctx.session)

    def _settle(
        self,
        ctx: StepContext,
        client: Any,
        project: str,
        location: str,
        name: str,
        cluster: Any,
        facts: Any,
    ) -> None:
        """Wait for a cluster that exists to be RUNNING (following its create if found)."""
        from kfwizard.gcp import clusters

        status = clusters.cluster_status(cluster) if cluster is not None else "PROVISIONING"
        if status == RUNNING:
            return
        if status in SETTLING:
            op = clusters.find_running_operation(client, project, location, name, "CREATE_CLUSTER")
            if op is not None:
                op_name = clusters.operation_path(project, location, op.name)
                ctx.log(f"cluster {name} is {status.lower()}; following operation {op_name}")
                self._follow(ctx, client, op_name, facts)
                return
            self._wait_running(ctx, client, project, location, name)
            return
        message = getattr(cluster, "status_message", "") or ""
        raise StepFailed(
            f"Cluster {name} is {status}{': ' + message if message else ''}.",
            f'delete it ("gcloud container clusters delete {name} --project={project} '
            f'{_location_flag(location)}") or pick another cluster, then resume',
        )

    def _wait_running(
        self, ctx: StepContext, client: Any, project: str, location: str, name: str
    ) -> None:
        from kfwizard.gcp import clusters

        limit = runtime.timeout(ctx, "cluster")
        started = time.monotonic()
        while True:
            cluster = _read_cluster(ctx, client, project, location, name)
            if cluster is None:
                raise StepFailed(
                    f"Cluster {name} disappeared while kfwizard waited for it.",
                    "check `gcloud container clusters list`, then resume",
                )
            status = clusters.cluster_status(cluster)
            if status == RUNNING:
                return
            if status not in SETTLING:
                raise StepFailed(
                    f"Cluster {name} is {status}: {cluster.status_message}",
                    "fix or delete the cluster, then resume",
                )
            elapsed = time.monotonic() - started
            if elapsed >= limit:
                raise StepFailed(
                    f"Cluster {name} was still {status.lower()} after {elapsed / 60:.0f} minutes.",
                    "resume later; kfwizard will wait for the same cluster",
                )
            expected = max(1.0, runtime.expected_seconds(ctx, "create"))
            ctx.progress(int(min(95, 100 * elapsed / expected)), 100, status.lower())
            ctx.sleep(runtime.poll_interval(ctx))

    # adopt -------------------------------------------------------------------------------------
    def _adopt(self, ctx: StepContext, project: str, facts: Any) -> None:
        from kfwizard.gcp import clusters, explain
        from kfwizard.gcp.retries import call_with_retries

        sel = _cluster_sel(ctx.selections)
        name = str(sel["name"])
        location = sel.get("location")
        client = runtime.cluster_manager(ctx)
        policy = runtime.retry_policy(ctx)
        if location in (None, "", "-"):
            found = call_with_retries(
                lambda: clusters.list_clusters(client, project),
                what="listing clusters",
                sleep=ctx.sleep,
                log=ctx.log,
                policy=policy,
            )
            matches = [c for c in found if c.name == name]
            if not matches:
                raise StepFailed(
                    f"No cluster named {name} in project {project} (found: "
                    f"{', '.join(c.name for c in found) or 'none'}).",
                    "check the name, or choose to create a new cluster",
                )
            if len(matches) > 1:
                where = ", ".join(c.location for c in matches)
                raise BadInput(
                    "cluster.location", f"{name} exists in several locations ({where}); pick one"
                )
            location = matches[0].location
            ctx.log(f"found cluster {name} in {location}")
        location = str(location)
        cluster = _read_cluster(ctx, client, project, location, name)
        if cluster is None:
            raise explain.not_found_failure(
                "cluster.get",
                "not found",
                explain.Facts(project=project, location=location, cluster=name),
            )
        if cluster.autopilot.enabled and _mode(ctx.selections) == "kubeflow":
            raise Refused(
                f"Cluster {name} is an Autopilot cluster; full Kubeflow needs privileged Istio "
                "capabilities that Autopilot rejects.",
                "use a Standard cluster for full Kubeflow, or choose KFP standalone for this "
                "cluster",
            )
        self._settle(ctx, client, project, location, name, cluster, facts)
        ours = self._inventory_says_ours(ctx, project, location, name)
        ctx.log(
            f"using existing cluster {name} in {location}"
            + (" (created by this session)" if ours else "")
        )
        self._finish(ctx, project, location, name, created=ours)
        pool_machine, pool_nodes = ctx.outputs.get("machine_type"), ctx.outputs.get("nodes")
        if pool_machine and pool_nodes:
            size = _size(pool_machine, int(pool_nodes), ctx.selections)
            ctx.log(*size.lines())
            ctx.detail("sizing", size.as_dict())

    # the facts later steps need ----------------------------------------------------------------
    def _finish(
        self, ctx: StepContext, project: str, location: str, name: str, *, created: bool
    ) -> None:
        from kfwizard.gcp import clusters, explain

        client = runtime.cluster_manager(ctx)
        cluster = _read_cluster(ctx, client, project, location, name)
        if cluster is None:
            raise StepFailed(
                f"Cluster {name} is gone: GKE no longer lists it in {location}.",
                "check `gcloud container clusters list`, then resume",
            )
        self._use_cluster(ctx, (project, location, name), created=created)
        status = clusters.cluster_status(cluster)
        if status != RUNNING:
            facts = explain.Facts(project=project, location=location, cluster=name)
            self._settle(ctx, client, project, location, name, cluster, facts)
            cluster = clusters.get_cluster(client, project, location, name) or cluster
            status = clusters.cluster_status(cluster)
        ctx.outputs.update(
            {
                "name": name,
                "location": location,
                "endpoint": cluster.endpoint,
                "ca_certificate": _pem(cluster.master_auth.cluster_ca_certificate),
                "version": cluster.current_master_version,
                "status": status,
                "created_by_session": created,
                "operation": ctx.outputs.get("operation"),
                "autopilot": bool(cluster.autopilot.enabled),
            }
        )
        ctx.outputs.pop("create_requested", None)
        ctx.outputs.pop(CREATE_FAILED, None)
        ctx.progress(1, 1, "cluster running")
        ctx.log(
            f"cluster {name}: {status}, Kubernetes {cluster.current_master_version}, "
            f"endpoint {cluster.endpoint}"
        )
        self._note_size(ctx, cluster)

    # the size the cluster has, against the size the answers ask for ---------------------------
    def _note_size(self, ctx: StepContext, cluster: Any) -> None:
        """Record the cluster's real machine type and node count, and warn when the
        answers ask for another size.

        The answers' size only shapes a cluster kfwizard is about to create. Once it
        exists, a different ``machine_type`` or ``nodes`` changes nothing by itself:
        kfwizard does not resize (billed) or replace (a new node pool, or a new cluster)
        on its own. Saying so, with the commands, is what stops a user from editing the
        answers again and again while the cluster stays as it was."""
        live = _live_size(cluster)
        ctx.outputs.update({"machine_type": live.machine_type or None, "nodes": live.nodes})
        if _source(ctx.selections) != "create":
            return
        warning = _size_differs_warning(
            live,
            _cluster_sel(ctx.selections),
            project=runtime.project_of(ctx) or _project_for_commands(ctx.session),
            name=str(ctx.outputs.get("name")),
            location=str(ctx.outputs.get("location")),
        )
        if warning:
            ctx.log(f"warning: {warning}")
            ctx.detail("warning", warning)  # shown, not only logged


class ConnectStep(BaseStep):
    """Reach the cluster's API in-process and write the kubeconfig context."""

    id = "connect"
    TARGET_OUTPUTS = ("endpoint", "context")
    """When one changes, later steps were done against another API server or context."""
    title = "Connect to the cluster"
    eta_seconds = 5.0

    def commands(self, session: Session) -> list[str]:
        sel = _cluster_sel(session.selections)
        if _source(session.selections) == "kubeconfig":
            return [f"kubectl --context {sel.get('context') or 'CONTEXT'} version"]
        project = _project_for_commands(session)
        out = session.outputs.get("cluster") or {}
        name = out.get("name") or sel.get("name") or "kubeflow-testing"
        location = out.get("location") or sel.get("location") or "us-central1-a"
        return [
            f"gcloud container clusters get-credentials {name} --project={project} "
            f"{_location_flag(location)}",
            "kubectl version",
        ]

    def _source(self, ctx: StepContext) -> str:
        return "kubeconfig" if _source(ctx.selections) == "kubeconfig" else "gke"

    def _client(self, ctx: StepContext) -> Any:
        from kfwizard.gcp import auth, kube_access, kubeconfig

        if self._source(ctx) == "kubeconfig":
            cluster = ctx.output_of("cluster")
            path = cluster.get("kubeconfig") or str(kubeconfig.kubeconfig_path(runtime.env_of(ctx)))
            context = cluster.get("context") or _cluster_sel(ctx.selections).get("context")
            return kube_access.api_client_for_context(path, context)
        cluster = ctx.output_of("cluster")
        if not cluster.get("endpoint"):
            raise StepFailed(
                "The session has no cluster endpoint yet.", "run the cluster step again (resume)"
            )
        token = auth.bearer_token(runtime.credentials(ctx))
        return kube_access.api_client_for_cluster(
            cluster["endpoint"], cluster.get("ca_certificate"), token
        )

    def _server_version(self, ctx: StepContext, api_client: Any) -> str:
        from kubernetes.client import VersionApi

        from kfwizard.gcp.retries import RetryPolicy, call_with_retries

        policy = runtime.retry_policy(ctx)
        attempts = max(
            policy.attempts, int(runtime.timeout(ctx, "connect") // max(policy.maximum, 1.0))
        )
        info = call_with_retries(
            lambda: VersionApi(api_client).get_code(_request_timeout=10),
            what="reading the Kubernetes version",
            sleep=ctx.sleep,
            log=ctx.log,
            policy=RetryPolicy(
                attempts=min(attempts, 10), initial=policy.initial, maximum=policy.maximum
            ),
        )
        return str(info.git_version)

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.gcp import kubeconfig

        out = ctx.outputs
        if not out.get("server_version") or out.get("source") != self._source(ctx):
            return False
        cluster = ctx.output_of("cluster")
        if out.get("source") == "gke":
            path = out.get("kubeconfig")
            if not path or not kubeconfig.has_context(Path(path), out.get("context") or ""):
                return False
            if out.get("endpoint") != cluster.get("endpoint"):
                return False
        elif out.get("context") != cluster.get("context"):
            return False
        try:
            from kubernetes.client import VersionApi

            api_client = self._client(ctx)
            try:
                VersionApi(api_client).get_code(_request_timeout=5)
            finally:
                api_client.close()
        except Exception:
            return False
        return True

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.gcp import kubeconfig

        source = self._source(ctx)
        cluster = ctx.output_of("cluster")
        api_client = self._client(ctx)
        try:
            version = self._server_version(ctx, api_client)
        except Exception as exc:
            raise _unreachable(exc, cluster, source, _credential_problem(api_client)) from exc
        finally:
            api_client.close()
        ctx.log(f"Kubernetes API answers: server version {version}")
        if source == "kubeconfig":
            context = cluster.get("context") or _cluster_sel(ctx.selections).get("context")
            path = cluster.get("kubeconfig") or str(kubeconfig.kubeconfig_path(runtime.env_of(ctx)))
        else:
            env = runtime.env_of(ctx)
            project = runtime.project_of(ctx) or ""
            try:
                written, context = kubeconfig.write_context(
                    env,
                    project=project,
                    location=cluster["location"],
                    cluster=cluster["name"],
                    endpoint=cluster["endpoint"],
                    ca=cluster.get("ca_certificate") or "",
                )
            except (kubeconfig.KubeconfigError, OSError) as exc:
                raise StepFailed(
                    f"Could not write the kubeconfig context: {exc}",
                    "fix the kubeconfig file (or point KUBECONFIG elsewhere), then resume",
                ) from exc
            path = str(written)
            ctx.session.inventory["kubeconfig_context"] = context
            ctx.save()
            ctx.log(f"kubeconfig: context {context} written to {path} (now the current context)")
            plugin = kubeconfig.plugin_status(env)
            ctx.log(plugin.message() if plugin.found else f"warning: {plugin.message()}")
            ctx.detail(
                "auth_plugin", {"found": plugin.found, "path": plugin.path, "hint": plugin.hint}
            )
            ctx.outputs["endpoint"] = cluster.get("endpoint")
        ctx.outputs.update(
            {"context": context, "kubeconfig": path, "server_version": version, "source": source}
        )


def _credential_problem(api_client: Any) -> str | None:
    """Why the kubeconfig user's credential plugin gave no token, if it did not."""
    from kfwizard.gcp.kube_access import CREDENTIAL_PROBLEM

    problem = getattr(api_client, CREDENTIAL_PROBLEM, None)
    return str(problem) if problem else None


def _unreachable(
    exc: BaseException, cluster: dict[str, Any], source: str, credential_problem: str | None = None
) -> StepFailed:
    """Why the Kubernetes API could not be reached, in words."""
    status = getattr(exc, "status", None)
    where = cluster.get("endpoint") or cluster.get("context") or "the cluster"
    if status in (401, 403) and credential_problem:
        return StepFailed(
            f"The Kubernetes API at {where} refused the request (HTTP {status}): the "
            f"context's user has no credentials, because {credential_problem}.",
            "do what the plugin asks (for gke-gcloud-auth-plugin: gcloud auth login), "
            "check it with kubectl get namespaces, then resume",
        )
    if status in (401, 403):
        return StepFailed(
            f"The Kubernetes API at {where} refused kfwizard's credentials (HTTP {status}).",
            "check that your account has a role on the cluster "
            "(roles/container.developer or more), "
            "then resume"
            if source == "gke"
            else "check the context's user in your kubeconfig, then resume",
        )
    return StepFailed(
        f"The Kubernetes API at {where} did not answer: "
        f"{type(exc).__name__}: {clip(str(exc), 200)}",
        "check the cluster is RUNNING and reachable from this machine (private clusters need "
        "authorized networks or a bastion), then resume",
    )
