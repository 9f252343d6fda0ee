"""The ``manifests`` step (mode phase): refuse impossible combinations, then fetch,
render, check and plan the manifests.

It runs before anything is applied, so a refusal (exit 2) leaves the cluster and the
session's inventory untouched. Its outputs name the rendered files in the cache; the
install steps re-read them with :func:`kfwizard.manifests.load_rendered`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kfwizard.engine.errors import BadInput, Refused
from kfwizard.engine.selection import deployment_of as _deployment
from kfwizard.engine.selection import selection_key, selection_key_now
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.wording import plural

if TYPE_CHECKING:
    from kfwizard.session import Session


class ManifestsStep(BaseStep):
    """Judge the mode/version/env against the cluster, then produce the rendered plan."""

    id = "manifests"
    TARGET_OUTPUTS = ("mode", "version", "env", "hashes")
    """When one changes, what was installed is not what was chosen any more."""
    title = "Fetch and render manifests"
    eta_seconds = 20.0

    def commands(self, session: Session) -> list[str]:
        from kfwizard.manifests import catalog
        from kfwizard.manifests.sources import describe_source, kustomize_root

        deployment = _deployment(session.selections)
        mode = str(deployment.get("mode") or "kfp-standalone")
        version = catalog.normalise_version(mode, deployment.get("version"))
        env, _ = catalog.effective_env(mode, version, deployment.get("env"))
        kind = describe_source(deployment)
        if kind == "rendered":
            return [f"ls {deployment['manifests']}"]
        if mode == "kubeflow":
            top, targets = f"manifests-{version.lstrip('v')}", ["example"]
        else:
            top = f"pipelines-{version}/manifests/kustomize"
            targets = ["cluster-scoped-resources", f"env/{env}"]
        lines = []
        if kind == "archive":
            url = catalog.archive_url(mode, version)
            lines.append(f"curl -L {url} | tar xz")
        else:
            root = kustomize_root(Path(str(deployment["manifests"])).expanduser(), mode)
            top = str(root or deployment["manifests"])
        for i, target in enumerate(targets):
            name = target.replace("/", "-")
            lines.append(f"kubectl kustomize {top}/{target} > {i:02d}-{name}.yaml")
        return lines

    def check(self, ctx: StepContext) -> bool:
        out = ctx.outputs
        if not out.get("rendered_dir") or not out.get("files"):
            return False
        if out.get("selection_key") != selection_key_now(ctx.selections, ctx.session.outputs):
            return False
        from kfwizard.manifests.archive import sha256_file

        hashes = out.get("hashes") or {}
        for name in out["files"]:
            path = Path(name)
            if not path.is_file() or hashes.get(path.name) != sha256_file(path):
                return False
        return True

    def apply(self, ctx: StepContext) -> None:
        from kfwizard import paths
        from kfwizard.manifests import catalog, load_manifests

        deployment = _deployment(ctx.selections)
        mode = str(deployment.get("mode") or "kfp-standalone")
        if mode not in catalog.MODES:
            raise BadInput("deployment.mode", f"must be one of {', '.join(catalog.MODES)}", mode)
        version = catalog.normalise_version(mode, deployment.get("version"))
        env, _ = catalog.effective_env(mode, version, deployment.get("env"))
        if mode == "kfp-gcp":
            problems = catalog.gcp_input_problems(deployment.get("gcp"))
            if problems:
                field, rule, value = problems[0]
                raise BadInput(field, rule, value)
        connect, cluster = ctx.output_of("connect"), ctx.output_of("cluster")
        server_version = connect.get("server_version")
        autopilot = cluster.get("autopilot")
        on_gke = True if cluster.get("endpoint") or connect.get("source") == "gke" else None
        local = bool(deployment.get("manifests"))

        refused = catalog.refusals(
            mode, version, env, server_version, autopilot, on_gke=on_gke, local_manifests=local
        )
        if refused:
            first = refused[0]
            ctx.detail("refusals", [r.as_dict() for r in refused])
            raise Refused(
                f"{first.reason} (rule {first.rule})",
                action=first.suggestion,
                details=tuple(f"{r.rule}: {r.message()}" for r in refused[1:]),
            )
        notes = catalog.advisories(mode, version, env, server_version, autopilot, on_gke=on_gke)
        for note in notes:
            ctx.log(f"Note ({note.rule}): {note.message()}")
        ctx.detail("advisories", [n.as_dict() for n in notes])

        ctx.progress(0, 3, "fetching manifests")
        selection = {**deployment, "mode": mode, "version": version, "env": env}
        options_env = ctx.options.get("env")
        manifest_set = load_manifests(
            selection,
            paths.cache_dir(),
            ctx.log,
            ctx.cancel,
            env=options_env if isinstance(options_env, dict) else None,
        )
        ctx.check_cancel()
        ctx.progress(2, 3, "planning")
        self._log_plan(ctx, manifest_set)
        plan = manifest_set.summary()
        plan["sdk_line"] = catalog.sdk_line(mode, version)
        plan["advisories"] = [n.as_dict() for n in notes]
        ctx.detail("plan", plan)

        roles = catalog.deployment_roles(mode, version, env)
        ctx.outputs.clear()
        ctx.outputs.update(
            {
                "mode": mode,
                "version": version,
                "env": env,
                "source": manifest_set.source,
                "rendered_dir": str(manifest_set.rendered_dir),
                "files": manifest_set.files,
                "hashes": {p.path.name: p.sha256 for p in manifest_set.parts},
                "counts": manifest_set.counts_by_kind,
                "crds": manifest_set.crds,
                # With the kinds, so a resumed session's plan reads like a fresh one's.
                "tiers": [
                    {"name": t.name, "objects": len(t.objects), "kinds": t.counts_by_kind()}
                    for t in manifest_set.tiers
                ],
                "requests": {
                    "cpu_m": manifest_set.requests.cpu_m,
                    "memory_mib": manifest_set.requests.memory_mib,
                },
                "has_pvcs": manifest_set.has_pvcs,
                "namespaces": manifest_set.namespaces,
                "image_versions": manifest_set.image_versions,
                "critical_deployments": list(roles.critical),
                "warn_only_deployments": list(roles.warn_only),
                "secret_inputs": manifest_set.secret_inputs,
                "tools": manifest_set.tools,
                "external_kinds": manifest_set.external_kinds,
                "sdk_line": catalog.sdk_line(mode, version),
                "time_estimate_seconds": manifest_set.time_estimate_seconds,
                "selection_key": selection_key(deployment, server_version, autopilot),
            }
        )
        ctx.save()
        ctx.progress(3, 3, "planned")

    @staticmethod
    def _log_plan(ctx: StepContext, manifest_set: Any) -> None:
        ctx.log(
            f"Plan: {plural(len(manifest_set.objects), 'object')} from {manifest_set.source}, "
            f"rendered to {manifest_set.rendered_dir}."
        )
        for tier in manifest_set.tiers:
            kinds = ", ".join(f"{k} {n}" for k, n in tier.counts_by_kind().items())
            ctx.log(f"  tier {tier.name}: {plural(len(tier.objects), 'object')} ({kinds})")
        if manifest_set.namespaces:
            ctx.log(f"Namespaces: {', '.join(manifest_set.namespaces)}")
        if manifest_set.crds:
            ctx.log(
                f"CRDs ({len(manifest_set.crds)}): {', '.join(manifest_set.crds[:8])}"
                + (" …" if len(manifest_set.crds) > 8 else "")
            )
        req = manifest_set.requests
        ctx.log(
            f"Requests: {req.cpu_m / 1000:.2f} vCPU, {req.memory_mib / 1024:.2f} GiB"
            f"{_coverage(len(req.without_requests), req.workloads)}." + _demo_note(ctx)
        )
        minutes = max(1, round(manifest_set.time_estimate_seconds / 60))
        ctx.log(f"Estimated install time: about {plural(minutes, 'minute')}.")


def _demo_note(ctx: StepContext) -> str:
    """The demo installs a small set shaped like KFP's; the Cluster step sized the
    cluster for the real release, so its figure differs, and this says why."""
    from kfwizard.manifests import catalog
    from kfwizard.manifests.demo import is_demo_manifests

    deployment = ctx.selections.get("deployment") or {}
    if not is_demo_manifests(deployment.get("manifests")):
        return ""
    real = catalog.resource_needs(
        str(deployment.get("mode") or "kfp-standalone"),
        deployment.get("version"),
        deployment.get("env"),
    )
    return (
        f" These are the demo's small set; the real release requests about "
        f"{real.cpu_m / 1000:.2f} vCPU, {real.memory_mib / 1024:.2f} GiB, the figure the "
        "Cluster step sized the cluster for."
    )


def _coverage(missing: int, workloads: int) -> str:
    """How far the request sums can be trusted: a workload without requests uses
    resources they do not count."""
    if not workloads:
        return ""
    if not missing:
        subject = "the workload declares" if workloads == 1 else "every workload declares"
        return f" ({subject} requests)"
    verb = "declares" if missing == 1 else "declare"
    return f" ({missing} of {plural(workloads, 'workload')} {verb} none, so real use is higher)"
