"""Teardown: remove what a session created, from its inventory, and nothing else.

Four steps: ``find-cluster`` (GKE sessions only, read-only) asks GKE for the cluster's
endpoint and CA now, since they move (a control-plane IP rotation; a ``--demo`` run whose
cluster port another program took) and the session's saved ones would dial the old
address; ``uninstall`` deletes the inventory's objects (namespaced, cluster-scoped, CRDs
last; 404 is fine), ``wait-namespaces`` waits until the namespaces the session created
are gone and names what blocks one that stays, and ``delete-cluster`` (only on request)
deletes the GKE clusters this session created (also one it moved away from), or an
adopted one only when the caller repeats its name. Every step's ``check`` looks at the
cluster, so running teardown again finds nothing to do and succeeds. GKE calls are
retried cancellably (:func:`kfwizard.gcp.retries.call_with_retries`) and their errors
explained in words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from kfwizard.engine.errors import Cancelled, Refused, StepFailed
from kfwizard.engine.phases import teardown_halfway
from kfwizard.engine.step import BaseStep, Step, StepContext
from kfwizard.engine.steps.install import kube_clients, timeout

if TYPE_CHECKING:
    from kfwizard.session import Session

T = TypeVar("T")

FIND_CLUSTER = "find-cluster"
DELETE_CLUSTER = "delete-cluster"
NO_CLUSTER_LEFT = "nothing to do: no cluster left to delete"


def _refs(session: Session) -> list[dict[str, str]]:
    return list(session.inventory.get("objects") or [])


def cluster_deleted(session: Session) -> bool:
    """The session's cluster was deleted (by a teardown): its objects went with it."""
    return bool((session.inventory.get("cluster") or {}).get("deleted"))


def cluster_gone(session: Session) -> bool:
    """This teardown's ``find-cluster`` step found that GKE no longer has the cluster."""
    return bool((session.outputs.get(FIND_CLUSTER) or {}).get("gone"))


def cluster_going(session: Session) -> bool:
    """This teardown's ``find-cluster`` step found GKE deleting the cluster (STOPPING):
    its API is going away with everything on it, so there is nothing to dial."""
    return bool((session.outputs.get(FIND_CLUSTER) or {}).get("deleting"))


def delete_requested(session: Session) -> bool:
    """A teardown of ``session`` that did not finish asked GKE to delete its cluster and
    did not see the delete end (it was stopped while GKE deleted): GKE goes on with it,
    so the cluster is as good as gone, whatever the next teardown is asked to do."""
    record = session.steps.get(DELETE_CLUSTER)
    return (
        teardown_unfinished(session)
        and record is not None
        and record.state in ("running", "interrupted", "failed")
        and bool((session.outputs.get(DELETE_CLUSTER) or {}).get("operation"))
        and not cluster_deleted(session)
    )


def uninstalled_halfway(session: Session) -> bool:
    """A teardown of ``session`` that did not finish had removed its objects already
    (its ``uninstall`` step is done): a preview that lists them as to be deleted, with
    their volumes' data, tells of something that happened."""
    record = session.steps.get("uninstall")
    return teardown_unfinished(session) and record is not None and record.state == "done"


def finish_command(
    session: Session, *, delete_cluster: bool, confirm_name: str | None, yes: bool = False
) -> str:
    """The teardown command that finishes a stopped teardown: the same flags as the one
    that stopped. Without ``--delete-cluster`` it would keep a cluster that the stopped
    one was deleting; without ``--yes``, a script's rerun is refused for want of it."""
    command = f"kfwizard teardown --session {session.id}"
    if delete_cluster:
        command += " --delete-cluster"
        if confirm_name:
            command += f" --confirm-name {confirm_name}"
    return command + (" --yes" if yes else "")


def still_deleting(names: list[str]) -> str:
    """Stopping kfwizard does not stop GKE: a delete it asked for runs to its end. Said
    with the stop, as the create's stop says (``cluster.still_creating``), so nobody
    takes "stopped" to mean the cluster is kept."""
    which = "cluster " + " and ".join(names) if names else "the cluster"
    those = "that delete" if len(names) <= 1 else "those deletes"
    return (
        f"GKE goes on deleting {which}: a delete cannot be stopped halfway. Finishing "
        f"the teardown follows {those} to the end and asks for no second one."
    )


def teardown_unfinished(session: Session) -> bool:
    """A teardown of ``session`` started and did not finish (stopped or failed).

    What it removed is gone while the install steps still read done, so running the
    plan again would quietly install it all again. The journal tells: its last entry
    is a teardown step's (steps outside the five wizard phases), and a finished
    teardown marks the session ``removed``.
    """
    return teardown_halfway(session.status, session.journal)


def _location_flag(location: str) -> str:
    return f"--zone={location}" if location.count("-") >= 2 else f"--region={location}"


def gke_cluster(session: Session) -> dict[str, str] | None:
    """``project``, ``location`` and ``name`` of the GKE cluster the session connects to
    through its endpoint, or None (a kubeconfig context: its address is the context's)."""
    connect = session.outputs.get("connect") or {}
    out = session.outputs.get("cluster") or {}
    source = connect.get("source") or ("gke" if out.get("endpoint") else "kubeconfig")
    if source != "gke" or not out.get("name") or not out.get("location"):
        return None
    inventory = session.inventory.get("cluster") or {}
    project = (
        inventory.get("project")
        or (session.outputs.get("credentials") or {}).get("project")
        or session.selections.get("project")
    )
    if not project:
        return None
    return {"project": str(project), "location": str(out["location"]), "name": str(out["name"])}


def _gke_call(
    ctx: StepContext, fn: Callable[[], T], what: str, during: str, c: Mapping[str, Any]
) -> T:
    """A GKE call retried cancellably on 429/5xx and dropped connections; what still
    fails after that is explained in words (naming the API and the call)."""
    from kfwizard.gcp import explain, runtime
    from kfwizard.gcp.retries import call_with_retries, is_google_error

    try:
        return call_with_retries(
            fn, what=what, sleep=ctx.sleep, log=ctx.log, policy=runtime.retry_policy(ctx)
        )
    except Exception as exc:
        if not is_google_error(exc):
            raise
        facts = explain.Facts(
            project=c.get("project"), location=c.get("location"), cluster=c.get("name")
        )
        raise explain.explain_api_error(exc, during, facts) from exc


class FindClusterStep(BaseStep):
    """Read the GKE cluster's endpoint and CA again, so the teardown dials where the
    cluster's API is now, not where it was when the session saved it. Read-only."""

    id = FIND_CLUSTER
    title = "Find the cluster's API"
    eta_seconds: float | None = 2.0

    def __init__(self, follow_delete: bool = True) -> None:
        self.follow_delete = follow_delete
        """A cluster GKE is deleting is followed here, to the end of that delete; False
        when this teardown's ``delete-cluster`` step deletes it (and follows it there)."""

    def commands(self, session: Session) -> list[str]:
        c = gke_cluster(session) or {}
        return [
            f"gcloud container clusters describe {c.get('name') or 'CLUSTER'} "
            f"--project={c.get('project') or 'PROJECT_ID'} "
            f"{_location_flag(str(c.get('location') or 'us-central1-a'))} "
            '--format="value(endpoint)"'
        ]

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.engine.steps.cluster import _pem
        from kfwizard.gcp import clusters, runtime

        ctx.outputs.clear()
        c = gke_cluster(ctx.session)
        if c is None:
            return
        client = runtime.cluster_manager(ctx)
        cluster = _gke_call(
            ctx,
            lambda: clusters.get_cluster(client, c["project"], c["location"], c["name"]),
            "reading the cluster",
            "cluster.get",
            c,
        )
        if cluster is None:
            ctx.outputs["gone"] = True
            ctx.log(
                f"Cluster {c['name']} no longer exists: GKE does not list it in {c['location']} "
                f"(project {c['project']})."
            )
            self._deleted_as_asked(ctx)
            return
        status = clusters.cluster_status(cluster)
        if status == "STOPPING":
            # Being deleted (a teardown stopped while GKE deleted it, or someone else's
            # delete): its API goes away with it, so dialling it only fails; what the
            # session applied there goes too.
            self._being_deleted(ctx, client, c)
            return
        saved = ctx.session.outputs.setdefault("cluster", {})
        endpoint = str(cluster.endpoint)
        ca = _pem(cluster.master_auth.cluster_ca_certificate)
        ctx.outputs.update({"endpoint": endpoint, "status": status})
        if not endpoint:
            ctx.log(
                f"Cluster {c['name']} is {status} and has no endpoint; the teardown tries the "
                f"one the session saved ({saved.get('endpoint')})."
            )
            return
        if endpoint == saved.get("endpoint") and ca == saved.get("ca_certificate"):
            ctx.log(f"Cluster {c['name']}: its API is still at {endpoint}.")
            return
        if endpoint != saved.get("endpoint"):
            ctx.log(
                f"Cluster {c['name']}: its endpoint changed from {saved.get('endpoint')} to "
                f"{endpoint}; the teardown connects to {endpoint}."
            )
        else:
            ctx.log(f"Cluster {c['name']}: its CA certificate changed; using the new one.")
        saved.update({"endpoint": endpoint, "ca_certificate": ca})
        ctx.save()
        old = ctx.resources.pop("kube", None)  # clients built for the old address
        if old is not None:
            old.close()

    def _being_deleted(self, ctx: StepContext, client: Any, c: dict[str, str]) -> None:
        """The cluster is STOPPING: say so, and follow the delete to its end unless this
        teardown's ``delete-cluster`` step does."""
        from kfwizard.engine.steps.cluster import await_operation
        from kfwizard.gcp import clusters, runtime

        ctx.outputs["deleting"] = True
        op = _gke_call(
            ctx,
            lambda: clusters.find_running_operation(
                client, c["project"], c["location"], c["name"], "DELETE_CLUSTER"
            ),
            "finding the delete operation",
            "cluster.get",
            c,
        )
        path = clusters.operation_path(c["project"], c["location"], op.name) if op else None
        which = f" (operation {path})" if path else ""
        goes = "what this session applied there goes with it, so there is nothing to remove"
        if path is None:  # (it ended as we asked)
            ctx.log(f"GKE is deleting cluster {c['name']}: {goes}.")
            return
        if not self.follow_delete:
            ctx.log(
                f"GKE is deleting cluster {c['name']}{which}: {goes}; the delete-cluster "
                "step follows that delete to its end."
            )
            return
        ctx.log(
            f"GKE is deleting cluster {c['name']}{which}: {goes}; following that delete to its end."
        )
        try:
            done = await_operation(
                ctx,
                client,
                path,
                eta=runtime.expected_seconds(ctx, "delete"),
                progress=ctx.progress,
                on_timeout=lambda exc: StepFailed(
                    f"GKE was still deleting cluster {c['name']} after "
                    f"{exc.elapsed / 60:.0f} minutes (operation {path}).",
                    "check the operation in the Cloud Console, then run the teardown again",
                ),
            )
        except Cancelled as exc:
            raise Cancelled(exc.cause, aftermath=still_deleting([c["name"]])) from exc
        error = clusters.operation_error(done)
        if error:
            raise StepFailed(
                f"GKE could not delete cluster {c['name']}: {error}",
                "fix the cause, then run the teardown again",
            )
        ctx.log(f"Cluster {c['name']} deleted.")
        ctx.outputs["gone"] = True
        self._deleted_as_asked(ctx)

    def _deleted_as_asked(self, ctx: StepContext) -> None:
        """The cluster is gone after a teardown of this session asked GKE to delete it:
        recorded as deleted, as the ``delete-cluster`` step would have, so the session
        reads as torn down and nothing offers to delete or keep it any more."""
        from kfwizard.engine.cluster_inventory import current_cluster, mark_deleted

        if not delete_requested(ctx.session):
            return
        mark_deleted(ctx.session.inventory, current_cluster(ctx.session.inventory))
        (ctx.session.outputs.get(DELETE_CLUSTER) or {}).pop("operation", None)
        ctx.save()


class UninstallStep(BaseStep):
    """Delete every object of the inventory; warn about the PVCs' data first."""

    id = "uninstall"
    title = "Remove what kfwizard applied"
    settled_note = "nothing to do: already removed"
    eta_seconds: float | None = 20.0

    def __init__(self, delete_cluster: bool = False) -> None:
        self.delete_cluster = delete_cluster
        """The teardown deletes the session's clusters too: an install left on an
        earlier one it created goes with it."""

    def _say_left_in_place(self, ctx: StepContext) -> None:
        """Name the installs on clusters the session moved away from, which this step
        does not remove (:func:`kfwizard.kube.teardown.elsewhere_text` says why): a
        teardown that ended "complete" while one ran on with its data misled."""
        from kfwizard.kube.teardown import elsewhere_text, installs_elsewhere

        ctx.outputs.pop("left_in_place", None)
        texts = [
            elsewhere_text(ctx.session, entry, delete_cluster=self.delete_cluster)
            for entry in installs_elsewhere(ctx.session)
        ]
        if texts:
            ctx.outputs["left_in_place"] = texts
        for text in texts:
            ctx.log(text)

    def commands(self, session: Session) -> list[str]:
        out = session.outputs.get("manifests") or {}
        folder = out.get("rendered_dir") or "RENDERED_DIR"
        files = list(reversed(out.get("files") or ["01-cluster-scoped.yaml", "02-env.yaml"]))
        return [
            "kubectl delete --ignore-not-found -f "
            + (str(f) if str(f).startswith("/") else f"{folder}/{f}")
            for f in files
        ]

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.kube.teardown import remaining

        refs = _refs(ctx.session)
        if not refs or cluster_deleted(ctx.session):
            self._say_left_in_place(ctx)
            return True
        if cluster_gone(ctx.session) or cluster_going(ctx.session):
            went = "went with" if cluster_gone(ctx.session) else "go with"
            why = "no longer exists" if cluster_gone(ctx.session) else "GKE is deleting"
            ctx.log(
                f"Nothing to delete: the {len(refs)} objects kfwizard applied {went} the "
                f"cluster, which {why}."
            )
            self._say_left_in_place(ctx)
            return True
        done = not remaining(kube_clients(ctx), refs, control=ctx)
        if done:
            self._say_left_in_place(ctx)
        return done

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.kube.objects import ref_text
        from kfwizard.kube.teardown import delete_objects, list_pvcs, touched_namespaces

        refs = _refs(ctx.session)
        clients = kube_clients(ctx)
        pvcs = list_pvcs(clients, touched_namespaces(refs), control=ctx)
        ctx.detail("pvcs", pvcs)
        ctx.outputs["pvcs"] = pvcs
        if pvcs:
            ctx.log(
                "Data in these PVCs will be lost: "
                + ", ".join(f"{p['namespace']}/{p['name']} ({p['size']})" for p in pvcs)
            )

        def on_deleted(done: int, total: int, ref: dict[str, str]) -> None:
            ctx.progress(done, total, f"deleted {done}/{total}  {ref_text(ref)}")

        report = delete_objects(clients, refs, control=ctx, on_deleted=on_deleted)
        ctx.outputs.update(report.to_json())
        ctx.log(
            f"Deleted {len(report.deleted)} objects; {len(report.already_gone)} were already gone."
        )
        last_install = ctx.session.outputs.get("apply")
        if last_install is not None:
            # Not an install to take over or to remember elsewhere any more.
            last_install["uninstalled"] = True
        self._say_left_in_place(ctx)


class WaitNamespacesStep(BaseStep):
    """Wait for the created namespaces to disappear; name blockers with the fix."""

    id = "wait-namespaces"
    title = "Wait for the namespaces to be deleted"
    settled_note = "nothing to do: the namespaces are gone"
    eta_seconds: float | None = 60.0

    def _names(self, session: Session) -> list[str]:
        from kfwizard.kube.teardown import inventory_namespaces

        return inventory_namespaces(_refs(session))

    def commands(self, session: Session) -> list[str]:
        names = self._names(session) or ["kubeflow"]
        return [f"kubectl wait --for=delete namespace/{n} --timeout=300s" for n in names]

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.kube.rest import get_object

        if cluster_deleted(ctx.session) or cluster_gone(ctx.session) or cluster_going(ctx.session):
            return True
        clients = kube_clients(ctx)
        return all(
            get_object(clients, "v1", "Namespace", n, control=ctx) is None
            for n in self._names(ctx.session)
        )

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.kube.teardown import wait_namespaces_gone

        names = self._names(ctx.session)
        kinds = sorted(
            {(r["apiVersion"], r["kind"]) for r in _refs(ctx.session) if r.get("namespace")}
        )
        ctx.log(f"Waiting for namespaces {', '.join(names)} to be deleted…")
        blockers = wait_namespaces_gone(
            kube_clients(ctx), names, timeout=timeout(ctx, "namespaces"), control=ctx, kinds=kinds
        )
        if not blockers:
            ctx.log("The namespaces are gone.")
            return
        ctx.outputs["blockers"] = [b.__dict__ for b in blockers]
        ctx.detail("blockers", [b.__dict__ for b in blockers])
        first = blockers[0]
        commands = [b.command for b in blockers if b.command]
        raise StepFailed(
            f"Namespace {first.namespace} is stuck deleting: {first.what} — {first.reason}.",
            (
                "clear the finalizers (only if the controller that owns them is gone): "
                + commands[0]
                + ("; then the others listed" if len(commands) > 1 else "")
                + "; then run the teardown again"
            )
            if commands
            else "find what still holds the namespace (`kubectl get namespace "
            f"{first.namespace} -o yaml`), then run the teardown again",
            tuple(b.line() for b in blockers),
        )


class DeleteClusterStep(BaseStep):
    """Delete the GKE clusters this session created (or the one whose name was confirmed).

    That is the cluster the session uses and any it created and then moved away from
    (``engine.cluster_inventory``): each is billed until deleted. A delete that is
    already running (a teardown interrupted while GKE was deleting) is followed, not
    requested again.
    """

    id = DELETE_CLUSTER
    title = "Delete the GKE cluster"
    settled_note = NO_CLUSTER_LEFT
    eta_seconds: float | None = 240.0

    def __init__(self, confirm_name: str | None = None) -> None:
        self.confirm_name = confirm_name

    def _clusters(self, session: Session) -> list[dict[str, Any]]:
        """The session's own clusters, and an adopted one only when its name was
        confirmed: unconfirmed, it is kept (the preview says so), and the session's own
        are deleted all the same."""
        from kfwizard.engine.cluster_inventory import clusters_to_delete, deletable

        return [c for c in clusters_to_delete(session.inventory) if deletable(c, self.confirm_name)]

    def _kept(self, session: Session) -> list[str]:
        """Adopted clusters this teardown leaves running (their names not confirmed)."""
        from kfwizard.engine.cluster_inventory import clusters_to_delete, deletable

        return [
            str(c.get("name"))
            for c in clusters_to_delete(session.inventory)
            if not deletable(c, self.confirm_name)
        ]

    def commands(self, session: Session) -> list[str]:
        """One delete per cluster this teardown deletes, and none when it deletes none
        (a kubeconfig context, an adopted cluster kept): a placeholder command
        ("delete CLUSTER --project=PROJECT_ID") read as one it would run."""
        return [
            f"gcloud container clusters delete {c.get('name')} --project={c.get('project')} "
            f"{_location_flag(str(c.get('location')))} --quiet"
            for c in self._clusters(session)
        ]

    def check(self, ctx: StepContext) -> bool:
        """Done when no cluster is left to delete: each was deleted, and recorded so.
        One GKE no longer lists but the session does not record as deleted (a stopped
        teardown's delete ended without it) is left to ``apply``, which records it.

        What it leaves is said, in the log and in the step's note: "no cluster left to
        delete" over a cluster it kept, or over a kubeconfig context's, read as if there
        had been none."""
        from kfwizard.engine.cluster_inventory import current_cluster

        kept = self._kept(ctx.session)
        for name in kept:
            ctx.log(
                f"Kept cluster {name}: this session did not create it; confirm its name "
                f"(--confirm-name {name}, or type it in the teardown dialog) to delete it."
            )
        context = kubeconfig_context(ctx.session)
        if context and not current_cluster(ctx.session.inventory).get("name"):
            ctx.log(kubeconfig_kept(context))
        else:
            context = None
        if self._clusters(ctx.session):
            return False
        self.settled_note = NO_CLUSTER_LEFT
        if kept:  # (only the current cluster can be adopted)
            self.settled_note = f"kept: not this session's; --confirm-name {kept[0]} deletes it"
        elif context:
            self.settled_note = "kept: kfwizard does not delete a kubeconfig context's cluster"
        return True

    def _read(self, ctx: StepContext, c: dict[str, Any]) -> Any:
        from kfwizard.gcp import clusters, runtime

        client = runtime.cluster_manager(ctx)
        return _gke_call(
            ctx,
            lambda: clusters.get_cluster(client, c["project"], c["location"], c["name"]),
            "reading the cluster",
            "cluster.get",
            c,
        )

    def apply(self, ctx: StepContext) -> None:
        """Ask GKE to delete every cluster first, then wait for each: GKE deletes them
        side by side, so two clusters take about as long as one (minutes each)."""
        from kfwizard.engine.cluster_inventory import mark_deleted

        targets = self._clusters(ctx.session)
        deleting: list[tuple[dict[str, Any], str]] = []
        for c in targets:
            found = self._read(ctx, c)
            if found is None:
                ctx.log(f"Cluster {c['name']} is gone already.")
                mark_deleted(ctx.session.inventory, c)
                ctx.save()
            else:
                deleting.append((c, self._start_delete(ctx, c, found)))
        for index, (c, operation) in enumerate(deleting):
            try:
                self._await_delete(ctx, c, operation)
            except Cancelled as exc:
                going = [str(d["name"]) for d, _ in deleting[index:]]
                raise Cancelled(exc.cause, aftermath=still_deleting(going)) from exc
            ctx.log(f"Cluster {c['name']} deleted.")
            mark_deleted(ctx.session.inventory, c)
            ctx.save()
        ctx.outputs.pop("operation", None)  # no delete under way any more
        ctx.save()

    def _start_delete(self, ctx: StepContext, c: dict[str, Any], found: Any) -> str:
        """The path of the operation deleting ``c``: the one already under way (a
        teardown stopped while GKE deleted), or a new one."""
        from kfwizard.engine.steps.cluster import SETTLING
        from kfwizard.gcp import clusters, runtime

        client = runtime.cluster_manager(ctx)
        status = clusters.cluster_status(found)
        if status in SETTLING:
            self._await_settled(ctx, c)
        running = None
        if status == "STOPPING":
            running = self._running_operation(ctx, c, "DELETE_CLUSTER", "the delete operation")
        if running is not None:
            ctx.log(f"cluster {c['name']} is being deleted already: following that operation")
            op = running
        else:
            ctx.log(f"deleting cluster {c['name']} in {c['location']}")
            op = _gke_call(
                ctx,
                lambda: clusters.delete_cluster(client, c["project"], c["location"], c["name"]),
                "deleting the cluster",
                "cluster.delete",
                c,
            )
        name = clusters.operation_path(c["project"], c["location"], op.name)
        ctx.outputs["operation"] = name
        ctx.save()
        return name

    def _running_operation(
        self, ctx: StepContext, c: dict[str, Any], kind: str | None, what: str
    ) -> Any:
        """The operation of ``kind`` (None: any) still running on ``c``, or None."""
        from kfwizard.gcp import clusters, runtime

        client = runtime.cluster_manager(ctx)
        return _gke_call(
            ctx,
            lambda: clusters.find_running_operation(
                client, c["project"], c["location"], c["name"], kind
            ),
            f"finding {what}",
            "cluster.delete",
            c,
        )

    def _await_settled(self, ctx: StepContext, c: dict[str, Any]) -> None:
        """GKE refuses to delete a cluster while an operation runs on it (a create that
        a stopped run left going, an upgrade): wait for that operation first. Whether it
        succeeds does not matter; a failed create leaves a cluster to delete too."""
        from kfwizard.engine.steps.cluster import await_operation
        from kfwizard.gcp import clusters, runtime

        client = runtime.cluster_manager(ctx)
        op = self._running_operation(ctx, c, None, "the running operation")
        if op is None:
            return
        kind = clusters.enum_name(op.operation_type)
        doing = "creating" if kind == "CREATE_CLUSTER" else "changing"
        name = clusters.operation_path(c["project"], c["location"], op.name)
        ctx.log(
            f"GKE is still {doing} cluster {c['name']} (operation {name}) and deletes a "
            "cluster only once that is done: waiting for it first"
        )
        await_operation(
            ctx,
            client,
            name,
            eta=runtime.expected_seconds(ctx, "create" if doing == "creating" else "delete"),
            progress=ctx.progress,
            on_timeout=lambda exc: StepFailed(
                f"GKE was still {doing} cluster {c['name']} after {exc.elapsed / 60:.0f} "
                f"minutes (operation {name}), so it could not be deleted yet.",
                "run the teardown again later: it waits for that operation, then deletes",
            ),
        )

    def _await_delete(self, ctx: StepContext, c: dict[str, Any], operation: str) -> None:
        from kfwizard.engine.steps.cluster import await_operation
        from kfwizard.gcp import clusters, runtime

        done = await_operation(
            ctx,
            runtime.cluster_manager(ctx),
            operation,
            eta=runtime.expected_seconds(ctx, "delete"),
            progress=ctx.progress,
            on_timeout=lambda exc: StepFailed(
                f"Deleting cluster {c['name']} did not finish in time ({exc}).",
                "check the operation in the Cloud Console, then run the teardown again",
            ),
        )
        error = clusters.operation_error(done)
        if error:
            ctx.outputs.pop("operation", None)  # it ended: no delete under way
            raise StepFailed(
                f"GKE could not delete cluster {c['name']}: {error}",
                "fix the cause, then run the teardown again",
            )


def kubeconfig_context(session: Session) -> str | None:
    """The kubeconfig context the session installs through, if that is how it reaches
    its cluster (``cluster.source: kubeconfig``)."""
    connect = session.outputs.get("connect") or {}
    out = session.outputs.get("cluster") or {}
    source = connect.get("source") or ("gke" if out.get("endpoint") else "kubeconfig")
    if source != "kubeconfig":
        return None
    return str(out.get("context") or connect.get("context") or "") or None


def kubeconfig_kept(context: str) -> str:
    """Why ``--delete-cluster`` leaves a kubeconfig context's cluster running."""
    return (
        f"Kept: the cluster of kubeconfig context {context}. kfwizard does not delete a "
        "cluster it reached through a kubeconfig (it cannot tell what that cluster is or "
        "who else uses it); delete it with the tool that made it."
    )


def build_teardown_plan(
    session: Session, delete_cluster: bool, confirm_name: str | None = None
) -> list[Step]:
    """The teardown steps for ``session``; the cluster step only when asked for.

    Once the cluster itself was deleted there is nothing left to uninstall, so a teardown
    run after that has only the (already satisfied) cluster step, and succeeds. Objects on
    a GKE cluster are deleted through its endpoint, read again first (``find-cluster``).
    """
    if delete_cluster:
        _refuse_unconfirmed(session, confirm_name)
    from kfwizard.engine.cluster_inventory import deletable, remaining_cluster

    current = remaining_cluster(session.inventory)
    deletes_it = delete_cluster and bool(current) and deletable(current, confirm_name)
    steps: list[Step] = []
    if _refs(session) and not cluster_deleted(session):
        if gke_cluster(session) is not None:
            steps.append(FindClusterStep(follow_delete=not deletes_it))
        steps += [UninstallStep(delete_cluster), WaitNamespacesStep()]
    if delete_cluster:
        steps.append(DeleteClusterStep(confirm_name))
    return steps


def _refuse_unconfirmed(session: Session, confirm_name: str | None) -> None:
    """A name that matches none of the session's clusters (deleted ones included: a
    teardown runs twice) is refused before anything is deleted: it was meant for
    another cluster. An adopted cluster whose name is not confirmed is kept."""
    from kfwizard.engine.cluster_inventory import EARLIER, current_cluster

    recorded = [current_cluster(session.inventory), *(session.inventory.get(EARLIER) or [])]
    names = [str(c.get("name")) for c in recorded if c.get("name")]
    if confirm_name and confirm_name not in names:
        known = ", ".join(names) or "none"
        raise Refused(
            f"--confirm-name {confirm_name} names no cluster of this session "
            f"(its clusters: {known}).",
            "give the name of the cluster to delete, as the preview shows it",
        )
