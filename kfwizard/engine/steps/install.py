"""Install phase: preflight, apply the manifests tier by tier, wait for the rollout.

The steps are thin: the work lives in :mod:`kfwizard.kube` (which knows nothing about
the engine beyond its error type). Here we read the session (the rendered manifests,
the cluster, the user's skips and timeouts), call the kube functions with ``ctx`` as the
control (so cancel, progress and logs flow through), and record what happened: checks,
every applied object in the inventory (saved per tier, so a crash never forgets what
was created), and the final rollout table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kfwizard.engine.errors import StepFailed
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.wording import duration, plural

if TYPE_CHECKING:
    from kfwizard.kube.client import KubeClients
    from kfwizard.session import Session

DEFAULT_TIMEOUTS: dict[str, float] = {
    "crd": 60.0,
    "kind": 60.0,
    "webhook": 180.0,
    "rollout": 900.0,
    "stuck": 180.0,
    "warn_grace": 60.0,
    "verify": 120.0,
    "public_url": 120.0,
    "namespaces": 300.0,
}


# -- shared helpers (also used by the verify and teardown steps) -----------------------
def kube_clients(ctx: StepContext) -> KubeClients:
    """The run's shared clients for the session's cluster, built once."""
    from kfwizard.kube.client import clients_for_session

    return ctx.resource(
        "kube", lambda: clients_for_session(ctx.session, ctx.options.get("env", os.environ))
    )


def timeout(ctx: StepContext, name: str) -> float:
    """A timeout from the run options (``timeouts: {rollout: 600}``) or the default."""
    value = (ctx.options.get("timeouts") or {}).get(name)
    return float(value) if value is not None else DEFAULT_TIMEOUTS[name]


def manifest_set_key(outputs: dict[str, Any]) -> str:
    """The run-resource name of the parsed set for a ``manifests`` output."""
    return (
        f"manifest-set:{outputs.get('rendered_dir')}:{outputs.get('version')}:"
        f"{outputs.get('env')}:{outputs.get('mode')}"
    )


def manifest_set(ctx: StepContext) -> Any:
    """The rendered set the ``manifests`` step produced (parsed once per run)."""
    out = ctx.output_of("manifests")
    if not out:
        raise StepFailed(
            "The session has no rendered manifests yet.",
            "run the Deployment mode step first (resume)",
        )

    def load() -> Any:
        from kfwizard.manifests import load_rendered

        return load_rendered(out)

    return ctx.resource(manifest_set_key(out), load)


def deployment_facts(session: Session, mset: Any = None) -> dict[str, Any]:
    """Mode, version, env and namespace of the install, from the set or the session."""
    out = session.outputs.get("manifests") or {}
    deployment = session.selections.get("deployment") or {}
    mode = (
        getattr(mset, "mode", None) or out.get("mode") or deployment.get("mode") or "kfp-standalone"
    )
    version = getattr(mset, "version", None) or out.get("version") or deployment.get("version")
    env = getattr(mset, "env", None) or out.get("env") or deployment.get("env")
    return {"mode": str(mode), "version": str(version or ""), "env": str(env or "")}


def roles(facts: dict[str, Any]) -> tuple[list[str] | None, list[str]]:
    """(critical names or None for "all", warn-only names) from the catalog."""
    from kfwizard.manifests import catalog

    found = catalog.deployment_roles(facts["mode"], facts["version"] or None, facts["env"] or None)
    return list(found.critical), list(found.warn_only)


def kfp_version(facts: dict[str, Any]) -> str:
    """The KFP backend version the install runs (the platform's KFP for full Kubeflow)."""
    if facts["mode"] == "kubeflow":
        from kfwizard.manifests import catalog

        release = catalog.kubeflow_release(facts["version"])
        return str(getattr(release, "kfp_version", "") or "")
    return facts["version"]


def all_objects(mset: Any) -> list[dict[str, Any]]:
    from kfwizard.kube.objects import as_dict

    return [as_dict(m) for tier in mset.tiers for m in tier.objects]


def workloads_of(mset: Any) -> list[dict[str, str]]:
    """Workloads to wait for: the tiers' ``wait_ready`` lists, else every workload."""
    from kfwizard.kube.objects import WORKLOAD_KINDS, ref_of

    refs: list[dict[str, str]] = []
    for tier in mset.tiers:
        listed = list(getattr(tier, "wait_ready", None) or [])
        refs += (
            [dict(r.as_dict() if hasattr(r, "as_dict") else r) for r in listed]
            if listed
            else [
                ref_of(o)
                for o in (getattr(m, "obj", m) for m in tier.objects)
                if o.get("kind") in WORKLOAD_KINDS
            ]
        )
    seen: set[tuple[str, str, str]] = set()
    out = []
    for ref in refs:
        key = (ref.get("kind", ""), ref.get("namespace") or "", ref.get("name", ""))
        if key not in seen and ref.get("kind") in WORKLOAD_KINDS:
            seen.add(key)
            out.append(ref)
    return out


def set_key(ctx: StepContext) -> str:
    out = ctx.output_of("manifests")
    return "|".join(str(out.get(k, "")) for k in ("mode", "version", "env", "rendered_dir"))


def cluster_key(ctx: StepContext) -> str:
    """Which cluster this is: its endpoint, a digest of its CA and its context. A
    cluster deleted and created again under the same name has a new CA (and on GKE a
    new endpoint), so what was checked on the old one is checked again."""
    import hashlib

    cluster = ctx.output_of("cluster")
    connect = ctx.output_of("connect")
    ca = str(cluster.get("ca_certificate") or "")
    digest = hashlib.sha256(ca.encode()).hexdigest()[:16] if ca else ""
    parts = (cluster.get("endpoint"), digest, connect.get("context"), connect.get("kubeconfig"))
    return "|".join(str(part or "") for part in parts)


def _rendered_files(session: Session) -> list[str]:
    out = session.outputs.get("manifests") or {}
    folder = out.get("rendered_dir") or "RENDERED_DIR"
    files = out.get("files") or ["01-cluster-scoped.yaml", "02-env.yaml"]
    return [f if str(f).startswith("/") else f"{folder}/{f}" for f in files]


# -- preflight -------------------------------------------------------------------------
def gke_cluster_facts(ctx: StepContext) -> dict[str, Any]:
    """``name`` and ``location`` of the GKE cluster, for the gcloud commands in the
    fixes; empty for a kubeconfig context, whose name is not a GKE cluster's (the fixes
    then say "your cluster")."""
    cluster = ctx.output_of("cluster")
    source = ctx.output_of("connect").get("source")
    if source == "kubeconfig" or cluster.get("status") == "external":
        return {}
    if not cluster.get("name") or not cluster.get("location"):
        return {}
    return {"name": cluster["name"], "location": cluster["location"]}


class PreflightStep(BaseStep):
    """Read-only checks with every fix listed at once (kubeadm-style, skippable by name)."""

    id = "preflight"
    title = "Check the cluster"
    eta_seconds: float | None = 5.0

    def commands(self, session: Session) -> list[str]:
        return [
            "kubectl version",
            "kubectl auth can-i create customresourcedefinitions",
            "kubectl auth can-i create clusterroles",
            "kubectl get storageclass",
            "kubectl describe nodes | grep -A 6 Allocatable",
        ]

    def check(self, ctx: StepContext) -> bool:
        # Passed before for this same set on this same cluster: do not re-judge capacity
        # with KFP's own pods already running (a resume after the apply would see them
        # as "used"). A cluster created again (after a teardown) is a new cluster.
        checks = ctx.outputs.get("checks") or []
        judged = ctx.outputs.get("cluster")
        return (
            bool(checks)
            and ctx.outputs.get("set") == set_key(ctx)
            and (judged is None or judged == cluster_key(ctx))  # None: saved before the key
            and not any(c.get("state") == "fail" for c in checks)
        )

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.engine.errors import Refused
        from kfwizard.kube.preflight import PreflightInputs, failure_text, run_checks
        from kfwizard.manifests import catalog

        mset = manifest_set(ctx)
        facts = deployment_facts(ctx.session, mset)
        objects = all_objects(mset)
        release = catalog.kfp_release(facts["version"]) if facts["mode"] != "kubeflow" else None
        needs = catalog.resource_needs(
            facts["mode"], facts["version"] or None, facts["env"] or None
        )
        inputs = PreflightInputs(
            version=facts["version"],
            env=facts["env"],
            mode=facts["mode"],
            k8s_min=getattr(release, "k8s_min", None),
            k8s_max_exclusive=getattr(release, "k8s_max_exclusive", None),
            k8s_tested=getattr(release, "k8s_tested", None),
            minimum=(needs.min_allocatable_cpu_m, needs.min_allocatable_memory_mib * 2**20),
            objects=objects,
            tools=list(ctx.output_of("manifests").get("tools") or []),
            user=(ctx.output_of("credentials") or {}).get("account"),
            cluster=gke_cluster_facts(ctx),
            installed=list(ctx.session.inventory.get("objects") or []),
            kfp_version=(kfp_version(facts) or None) if facts["mode"] == "kubeflow" else None,
            earlier_install=earlier_install(
                ctx.session, ctx.output_of("connect").get("context"), facts["mode"]
            ),
        )
        skip = dict(ctx.selections.get("skip_checks") or {})
        skip.update(ctx.options.get("skip_checks") or {})
        clients = kube_clients(ctx)
        server = ctx.output_of("connect").get("server_version")
        if "server-version" not in skip:
            found = [
                r
                for r in catalog.refusals(
                    facts["mode"],
                    facts["version"] or None,
                    facts["env"] or None,
                    server,
                    ctx.output_of("cluster").get("autopilot"),
                    local_manifests=True,
                )
                if r.rule in ("crd-v1beta1", "kubernetes-too-new", "kubeflow-autopilot")
            ]
            if found:
                raise Refused(found[0].reason, found[0].suggestion)
        checks = run_checks(clients, inputs, skip=skip, control=ctx)
        rows = [c.to_json() for c in checks]
        ctx.detail("preflight", rows)
        ctx.outputs["checks"] = rows
        ctx.outputs["set"] = set_key(ctx)
        ctx.outputs["cluster"] = cluster_key(ctx)
        ctx.outputs["skipped"] = {c.name: skip[c.name] for c in checks if c.state == "skipped"}
        if any(c.state == "fail" for c in checks):
            # The runner logs a failure's details, which list every check: logging them
            # here as well printed each check twice.
            cause, action, details = failure_text(checks)
            raise StepFailed(cause, action, details)
        for c in checks:
            ctx.log(
                f"[{c.state}] {c.name}: {c.message}"
                + (f" Fix: {c.fix}" if c.fix and c.state != "pass" else "")
            )


# -- apply -----------------------------------------------------------------------------
class ApplyStep(BaseStep):
    """Server-side apply, tier by tier; CRDs Established before what needs them."""

    id = "apply"
    title = "Apply the manifests"
    eta_seconds: float | None = 30.0

    def commands(self, session: Session) -> list[str]:
        out = session.outputs.get("manifests") or {}
        lines = [
            f"kubectl apply --server-side --force-conflicts --field-manager=kfwizard -f {f}"
            for f in _rendered_files(session)
        ]
        crds = list(out.get("crds") or [])
        if crds:
            lines.insert(
                1,
                "kubectl wait --for condition=established --timeout=60s "
                + " ".join(f"crd/{c}" for c in crds),
            )
        return lines

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.kube.apply import applied_check
        from kfwizard.kube.objects import fingerprint, ref_of

        if not ctx.outputs.get("hash") or not ctx.outputs.get("applied"):
            return False
        mset = manifest_set(ctx)
        objects = all_objects(mset)
        if fingerprint(objects) != ctx.outputs["hash"]:
            return False
        inventory = {
            (r.get("kind"), r.get("namespace") or "", r.get("name"))
            for r in ctx.session.inventory_objects()
        }
        refs = [ref_of(o) for o in objects]
        if any(
            (r["kind"], r["namespace"], r["name"]) not in inventory
            and (r["kind"], "", r["name"]) not in inventory
            for r in refs
        ):
            return False
        ours = [
            r
            for r in ctx.session.inventory_objects()
            if (r.get("kind"), r.get("name")) in {(x["kind"], x["name"]) for x in refs}
        ]
        return not applied_check(kube_clients(ctx), ours, control=ctx)

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.engine.steps.teardown import gke_cluster
        from kfwizard.kube.apply import ApplyOptions, apply_tiers
        from kfwizard.kube.errors import WaitTimeout
        from kfwizard.kube.objects import fingerprint, ref_of

        mset = manifest_set(ctx)
        clients = kube_clients(ctx)
        chosen = ctx.output_of("manifests")
        target, mode = ctx.output_of("connect").get("context"), chosen.get("mode")
        earlier_mode = ctx.outputs.get("mode")
        replaces = replaces_earlier(ctx.outputs, target, mode)
        beside = not replaces and bool(earlier_mode) and installed_here(ctx.outputs, target)
        over = earlier_install(ctx.session, target, mode) if beside else None
        if over is not None:
            # Saved before applying: a resumed apply finds the inventory grown with this
            # set's objects, which the earlier install did not have.
            ctx.outputs["over"] = over
        remember_install_elsewhere(ctx.session, ctx.outputs, target)
        ctx.save()
        options = ApplyOptions(
            workers=int(ctx.options.get("apply_workers") or 8),
            crd_timeout=timeout(ctx, "crd"),
            kind_timeout=timeout(ctx, "kind"),
            webhook_timeout=timeout(ctx, "webhook"),
            ready_timeout=timeout(ctx, "rollout"),
            stuck_after=timeout(ctx, "stuck"),
        )
        tiers_out: list[dict[str, Any]] = []

        def on_applied(obj: dict[str, Any], server: dict[str, Any]) -> None:
            ref = ref_of(obj)
            server_ns = (server.get("metadata") or {}).get("namespace")
            ref["namespace"] = str(server_ns or "") if server else ref["namespace"]
            ctx.session.add_objects([ref])

        def on_tier_done(tier: Any) -> None:
            tiers_out.append(tier.to_json())
            ctx.outputs["tiers"] = list(tiers_out)
            ctx.save()
            applied = plural(len(tier.refs), "object")
            ctx.log(f"Tier {tier.name}: {applied} applied in {duration(tier.seconds)}")

        facts = deployment_facts(ctx.session, mset)
        critical, _ = roles(facts)
        tiers = self._tiers_with_secrets(ctx, mset)
        try:
            report = apply_tiers(
                clients,
                tiers,
                control=ctx,
                options=options,
                on_applied=on_applied,
                on_tier_done=on_tier_done,
                critical=critical,
            )
        except WaitTimeout as exc:  # a tier's workloads did not become ready
            ctx.save()
            namespaces = sorted({w.get("namespace") or "" for w in workloads_of(mset)} - {""})
            raise diagnose_failure(ctx, namespaces, critical, exc.cause) from None
        applied = plural(report.applied, "object")
        ctx.log(f"Applied {applied} in {duration(report.seconds)} (field manager kfwizard).")
        if replaces:
            # Before the hash is recorded: a prune cut short runs again with the apply.
            self._prune_earlier(ctx, clients, [ref_of(o) for o in all_objects(mset)])
        elif over is not None:
            ctx.log(takeover_summary(over, [ref_of(o) for o in all_objects(mset)], str(mode)))
        ctx.outputs.pop("over", None)
        ctx.outputs.pop("uninstalled", None)
        ctx.outputs.update(
            {
                "cluster": gke_cluster(ctx.session) or {},
                "applied": report.applied,
                "tiers": tiers_out,
                "hash": fingerprint(all_objects(mset)),
                "seconds": round(report.seconds, 2),
                "target": target,
                "mode": mode,
                "version": chosen.get("version"),
                "env": chosen.get("env"),
            }
        )

    def _tiers_with_secrets(self, ctx: StepContext, mset: Any) -> list[Any]:
        """The tiers to apply: as rendered, with the values only the person knows
        (kfp-gcp's Cloud SQL password) filled into copies of their Secrets. Asked now,
        at every apply, since they are never saved; with nobody to give them, the
        step fails before anything is applied."""
        from kfwizard.gcp.runtime import env_of
        from kfwizard.manifests.secret_inputs import collect, secret_inputs, with_values

        items = secret_inputs(ctx.output_of("manifests"))
        if not items:
            return list(mset.tiers)
        values = collect(items, env_of(ctx), ctx.options.get("ask_secret"), ctx.check_cancel)
        for item in items:
            ctx.log(f"{item.prompt}: given; written only into {item.where()}.")
        return with_values(list(mset.tiers), items, values)

    def _prune_earlier(
        self, ctx: StepContext, clients: KubeClients, current: list[dict[str, str]]
    ) -> None:
        """Remove what earlier manifests of the same mode applied on this cluster and
        these do not have (``kube.prune``): after an upgrade that replaced MinIO with
        SeaweedFS, or a switch away from ``env/dev``, the old parts would otherwise keep
        running (or crash-looping) beside the new install."""
        from kfwizard.kube.prune import describe, prune, stale_refs

        ctx.outputs.pop("pruned", None)  # (what an earlier run of this step removed)
        stale = stale_refs(ctx.session.inventory_objects(), current)
        if not stale:
            return
        report = prune(clients, stale, control=ctx)
        ctx.session.remove_objects(report.removed + report.not_ours)
        ctx.outputs["pruned"] = [*report.deleted]
        ctx.save()
        if report.deleted:
            ctx.log(
                f"Removed {len(report.deleted)} objects that the earlier manifests created and "
                f"these do not have: {describe(report.deleted)}."
            )
        if report.kept:
            ctx.log(
                f"Kept from the earlier manifests, as they hold data or other objects: "
                f"{describe(report.kept)}. A teardown removes them; so does kubectl delete."
            )
        if report.not_ours:
            ctx.log(f"Left alone, as kfwizard no longer manages them: {describe(report.not_ours)}.")


def earlier_install(
    session: Session, target: str | None, mode: str | None
) -> dict[str, Any] | None:
    """This session's last install, when it is on this cluster and of another mode
    (``mode``, ``version``, ``refs``): the new install is applied over it. Its refs are
    the ones the apply step saved before it started (a resume finds the inventory grown
    with the new set), else the inventory's."""
    out = session.outputs.get("apply") or {}
    if not installed_here(out, target) or not out.get("mode") or out.get("mode") == mode:
        return None
    if out.get("uninstalled"):
        return None
    saved = out.get("over") or {}
    if saved.get("mode") == out.get("mode") and saved.get("refs"):
        refs = list(saved["refs"])
    else:
        refs = [dict(r) for r in session.inventory.get("objects") or []]
    return {"mode": out["mode"], "version": out.get("version"), "refs": refs}


def _where_key(ref: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(ref.get("namespace") or ""), str(ref.get("kind")), str(ref.get("name")))


def takeover_summary(over: Mapping[str, Any], current: list[dict[str, str]], mode: str) -> str:
    """What the new install of ``mode`` did to the earlier install of another mode on
    the same cluster. Server-side apply with ``--force-conflicts`` takes over every
    object both sets have (same namespace, kind and name), so only the rest is left
    beside it: for standalone KFP under the full platform that is 1 of 14 Deployments,
    not the whole install the old "left in place beside" sentence claimed."""
    from kfwizard.kube.prune import describe

    earlier = list(over.get("refs") or [])
    here = {_where_key(r) for r in current}
    taken = [r for r in earlier if _where_key(r) in here]
    # Workloads first: what still runs beside is what the reader asks about.
    left = sorted(
        (r for r in earlier if _where_key(r) not in here),
        key=lambda r: r.get("kind") != "Deployment",
    )
    deploys = [r for r in earlier if r.get("kind") == "Deployment"]
    taken_deploys = [r for r in taken if r.get("kind") == "Deployment"]
    head = (
        f"This {mode} install took over {len(taken_deploys)} of the "
        f"{plural(len(deploys), 'Deployment')} ({len(taken)} of the "
        f"{plural(len(earlier), 'object')}) of the earlier {over.get('mode')} install on "
        "this cluster: they have the same namespace, kind and name, and now run as this "
        "install's."
    )
    if not left:
        return f"{head} Nothing of that install is left beside this one."
    return (
        f"{head} Left in place beside it: {plural(len(left), 'object')} that this install "
        f"does not have ({describe(left)}); a teardown removes both."
    )


def remember_install_elsewhere(
    session: Session, apply_out: dict[str, Any], target: str | None
) -> None:
    """Record the last install when this one goes to another cluster.

    Switching clusters leaves that install running where it was, with its data; the
    inventory lists objects without their cluster, and a teardown only reaches the
    cluster the session uses now. The record (its cluster, context, mode and volumes)
    is what lets the teardown say plainly that it is left in place, and how to remove
    it. An install a teardown removed is not recorded; one on the cluster this install
    goes to is dropped (it is this one now).
    """
    elsewhere = [e for e in apply_out.get("elsewhere") or [] if e.get("target") != target]
    last = apply_out.get("target")
    if last and last != target and apply_out.get("applied") and not apply_out.get("uninstalled"):
        elsewhere = [e for e in elsewhere if e.get("target") != last]
        elsewhere.append(
            {
                "target": last,
                "cluster": dict(apply_out.get("cluster") or _cluster_of_context(str(last))),
                "mode": apply_out.get("mode"),
                "version": apply_out.get("version"),
                "pvcs": [f"{p['namespace']}/{p['name']}" for p in session.inventory_pvcs()],
            }
        )
    if elsewhere:
        apply_out["elsewhere"] = elsewhere
    else:
        apply_out.pop("elsewhere", None)


def _cluster_of_context(context: str) -> dict[str, str]:
    """``gke_{project}_{location}_{name}`` (the context gcloud and kfwizard write) → its
    parts; {} for another context. For installs recorded before the apply step saved
    its cluster."""
    parts = context.split("_")
    if len(parts) == 4 and parts[0] == "gke":
        return {"project": parts[1], "location": parts[2], "name": parts[3]}
    return {}


def installed_here(apply_out: Mapping[str, Any], target: str | None) -> bool:
    """The apply step's last install went to this cluster (its kubeconfig context)."""
    return bool(target) and apply_out.get("target") == target


def replaces_earlier(apply_out: Mapping[str, Any], target: str | None, mode: str | None) -> bool:
    """New manifests replace the last install: same cluster, same deployment mode (what
    only the earlier set had is pruned after the apply; another mode stays beside)."""
    return installed_here(apply_out, target) and apply_out.get("mode") == mode


# -- rollout ---------------------------------------------------------------------------
def _cluster_facts(ctx: StepContext) -> dict[str, Any]:
    """What the diagnosis needs to name the fix: the GKE cluster (none for a kubeconfig
    context, like preflight's) and its machine type."""
    facts = gke_cluster_facts(ctx)
    machine = ctx.output_of("cluster").get("machine_type")
    return {**facts, "machine_type": machine} if machine else facts


def diagnose_failure(
    ctx: StepContext, namespaces: list[str], critical: list[str] | None, headline: str | None = None
) -> StepFailed:
    """Collect, classify, and turn the first finding into the step's cause and action."""
    from kfwizard.kube.diagnose import collect, diagnose, summary

    clients = kube_clients(ctx)
    snapshot = collect(clients, namespaces, cluster=_cluster_facts(ctx), control=ctx)
    snapshot.db_grace = 0.0  # the wait is over: a crash-loop now is a finding, not "early"
    names = None if critical is None else [c.split("/")[-1] for c in critical]
    found = diagnose(snapshot, names)
    ctx.detail("diagnoses", [d.to_json() for d in found])
    ctx.outputs["diagnoses"] = [d.to_json() for d in found]
    cause, action = summary(found)
    if headline:
        cause = f"{headline} {cause}"
    details = tuple(line for d in found for line in d.lines())
    return StepFailed(cause, action, details)


class RolloutStep(BaseStep):
    """Wait for the workloads (watching), then explain anything stuck."""

    id = "rollout"
    title = "Wait for Kubeflow Pipelines to start"
    eta_seconds: float | None = 180.0

    def commands(self, session: Session) -> list[str]:
        facts = deployment_facts(session)
        try:
            critical, _ = roles(facts)
        except Exception:
            critical = ["ml-pipeline", "ml-pipeline-ui"]
        lines = []
        for name in critical or []:
            ns, _, short = name.rpartition("/")
            lines.append(
                f"kubectl rollout status -n {ns or 'kubeflow'} deploy/{short} --timeout=900s"
            )
        lines.append("kubectl get pods -n kubeflow")
        return lines

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.kube.rest import list_objects
        from kfwizard.kube.wait import workload_ready

        if not ctx.outputs.get("deployments"):
            return False
        mset = manifest_set(ctx)
        critical, _ = roles(deployment_facts(ctx.session, mset))
        clients = kube_clients(ctx)
        for ref in workloads_of(mset):
            name = ref["name"]
            if (
                critical is not None
                and name not in critical
                and f"{ref.get('namespace')}/{name}" not in critical
            ):
                continue
            items = (
                list_objects(
                    clients,
                    "apps/v1",
                    ref["kind"],
                    namespace=ref.get("namespace") or None,
                    field_selector=f"metadata.name={name}",
                    control=ctx,
                ).get("items")
                or []
            )
            if not items or not workload_ready(items[0], ref["kind"])[0]:
                return False
        return True

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.kube.errors import WaitTimeout
        from kfwizard.kube.wait import wait_workloads

        mset = manifest_set(ctx)
        facts = deployment_facts(ctx.session, mset)
        critical, _ = roles(facts)
        workloads = workloads_of(mset)
        namespaces = sorted({w.get("namespace") or "" for w in workloads} - {""})
        clients = kube_clients(ctx)
        ctx.log(
            f"Waiting for {len(workloads)} workloads "
            f"({len(critical) if critical is not None else len(workloads)} must be ready)…"
        )
        try:
            result = wait_workloads(
                clients,
                workloads,
                critical=critical,
                timeout=timeout(ctx, "rollout"),
                control=ctx,
                stuck_after=timeout(ctx, "stuck"),
                warn_grace=timeout(ctx, "warn_grace"),
            )
        except WaitTimeout as exc:
            rows = exc.state.rows() if hasattr(exc.state, "rows") else []
            ctx.outputs["deployments"] = rows
            raise diagnose_failure(
                ctx, namespaces, critical, f"Timed out after {timeout(ctx, 'rollout'):.0f} s."
            ) from None
        ctx.outputs["deployments"] = result.rows()
        ctx.outputs["seconds"] = round(result.seconds, 2)
        ctx.outputs["requests"] = {"lists": result.lists, "watches": result.watches}
        if result.stuck:
            ctx.outputs.pop("deployments", None)
            ctx.outputs["stuck"] = result.stuck
            raise diagnose_failure(ctx, namespaces, critical)
        late = result.not_ready_warn_only
        if late:
            from kfwizard.kube.diagnose import collect, diagnose

            snapshot = collect(clients, namespaces, cluster=_cluster_facts(ctx), control=ctx)
            notes = {d.workload: d for d in diagnose(snapshot, critical)}
            warnings = []
            for row in late:
                note = notes.get(row.name)
                text = (
                    f"{row.name} is not ready (optional): "
                    f"{note.cause if note else row.message or row.state}"
                )
                warnings.append(text)
                ctx.log("warning: " + text)
            ctx.outputs["warnings"] = warnings
        ctx.log(f"All required workloads are ready after {result.seconds:.1f} s.")
