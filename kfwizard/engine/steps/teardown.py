"""Teardown: remove what a session created, from its inventory, and nothing else.

Three steps: ``uninstall`` deletes the inventory's objects (namespaced, cluster-scoped,
CRDs last; 404 is fine), ``wait-namespaces`` waits until the namespaces the session
created are gone and names what blocks one that stays, and ``delete-cluster`` (only on
request) deletes the GKE cluster, but only one this session created, unless the caller
repeats the cluster's name to confirm an adopted one. Every step's ``check`` looks at the
cluster, so running teardown again finds nothing to do and succeeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kfwizard.engine.errors import Refused, StepFailed
from kfwizard.engine.step import BaseStep, Step, StepContext
from kfwizard.engine.steps.install import kube_clients, timeout

if TYPE_CHECKING:
    from kfwizard.session import Session


def _refs(session: Session) -> list[dict[str, str]]:
    return list(session.inventory.get("objects") or [])


def cluster_deleted(session: Session) -> bool:
    """The session's cluster was deleted (by a teardown): its objects went with it."""
    return bool((session.inventory.get("cluster") or {}).get("deleted"))


def _location_flag(location: str) -> str:
    return f"--zone={location}" if location.count("-") >= 2 else f"--region={location}"


class UninstallStep(BaseStep):
    """Delete every object of the inventory; warn about the PVCs' data first."""

    id = "uninstall"
    title = "Remove what kfwizard applied"
    eta_seconds: float | None = 20.0

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
            return True
        return not remaining(kube_clients(ctx), refs, control=ctx)

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


class WaitNamespacesStep(BaseStep):
    """Wait for the created namespaces to disappear; name blockers with the fix."""

    id = "wait-namespaces"
    title = "Wait for the namespaces to be deleted"
    eta_seconds: float | None = 60.0

    def _names(self, session: Session) -> list[str]:
        from kfwizard.kube.teardown import inventory_namespaces

        return inventory_namespaces(_refs(session))

    def commands(self, session: Session) -> list[str]:
        names = self._names(session) or ["kubeflow"]
        return [f"kubectl wait --for=delete namespace/{n} --timeout=300s" for n in names]

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.kube.rest import get_object

        if cluster_deleted(ctx.session):
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
    """Delete the GKE cluster, if this session created it (or its name was confirmed)."""

    id = "delete-cluster"
    title = "Delete the GKE cluster"
    eta_seconds: float | None = 240.0

    def __init__(self, confirm_name: str | None = None) -> None:
        self.confirm_name = confirm_name

    def _cluster(self, session: Session) -> dict[str, Any]:
        return dict(session.inventory.get("cluster") or {})

    def commands(self, session: Session) -> list[str]:
        c = self._cluster(session)
        return [
            f"gcloud container clusters delete {c.get('name') or 'CLUSTER'} "
            f"--project={c.get('project') or 'PROJECT_ID'} "
            f"{_location_flag(str(c.get('location') or 'us-central1-a'))} --quiet"
        ]

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.gcp import clusters, runtime

        c = self._cluster(ctx.session)
        if not c.get("name"):
            return True
        self._guard(c)
        client = runtime.cluster_manager(ctx)
        return clusters.get_cluster(client, c["project"], c["location"], c["name"]) is None

    def _guard(self, c: dict[str, Any]) -> None:
        if c.get("created_by_session") or (
            self.confirm_name and self.confirm_name == c.get("name")
        ):
            return
        raise Refused(
            f"kfwizard did not create cluster {c.get('name')}, so it will not delete it on its "
            "own.",
            f"to delete it anyway, confirm with its name (--confirm-name {c.get('name')})",
        )

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.gcp import clusters, runtime

        c = self._cluster(ctx.session)
        self._guard(c)
        client = runtime.cluster_manager(ctx)
        op = clusters.delete_cluster(client, c["project"], c["location"], c["name"])
        name = clusters.operation_path(c["project"], c["location"], op.name)
        ctx.outputs["operation"] = name
        ctx.save()
        try:
            done = clusters.follow_operation(
                client,
                name,
                sleep=ctx.sleep,
                log=ctx.log,
                progress=ctx.progress,
                timeout=runtime.timeout(ctx, "cluster"),
                interval=runtime.poll_interval(ctx),
                eta=240.0,
                retry=runtime.retry_policy(ctx),
            )
        except clusters.OperationTimeout as exc:
            raise StepFailed(
                f"Deleting cluster {c['name']} did not finish in time ({exc}).",
                "check the operation in the Cloud Console, then run the teardown again",
            ) from exc
        error = clusters.operation_error(done)
        if error:
            raise StepFailed(
                f"GKE could not delete cluster {c['name']}: {error}",
                "fix the cause, then run the teardown again",
            )
        ctx.session.inventory["cluster"] = {**c, "deleted": True}
        ctx.log(f"Cluster {c['name']} deleted.")


def build_teardown_plan(
    session: Session, delete_cluster: bool, confirm_name: str | None = None
) -> list[Step]:
    """The teardown steps for ``session``; the cluster step only when asked for.

    Once the cluster itself was deleted there is nothing left to uninstall, so a teardown
    run after that has only the (already satisfied) cluster step, and succeeds.
    """
    steps: list[Step] = []
    if _refs(session) and not cluster_deleted(session):
        steps += [UninstallStep(), WaitNamespacesStep()]
    if delete_cluster:
        steps.append(DeleteClusterStep(confirm_name))
    return steps


def teardown_preview(
    session: Session, delete_cluster: bool = False, clients: Any = None
) -> dict[str, Any]:
    """What the teardown would remove (re-exported for the CLI and the UI)."""
    from kfwizard.kube.teardown import teardown_preview as preview

    return preview(session, delete_cluster=delete_cluster, clients=clients)
