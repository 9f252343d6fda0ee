"""Verify phase: prove the install works, and say how to use it.

Checks the API server's healthz (through the API server's service proxy) and that it
reports the version we installed, the UI page and the UI's view of the API, the public
URL where the mode has an inverse proxy (waiting for it, and saying why when it does not
come, without failing), the matching SDK line, where the default credentials live, and
what to try next. A failure names the failing component and, through the diagnosis,
its last log lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kfwizard.engine.errors import StepFailed
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.engine.steps.install import (
    deployment_facts,
    diagnose_failure,
    kfp_version,
    kube_clients,
    manifest_set,
    timeout,
)

if TYPE_CHECKING:
    from kfwizard.session import Session

NAMESPACE = "kubeflow"


def has_inverse_proxy(facts: dict[str, Any], objects: list[dict[str, Any]]) -> tuple[bool, str]:
    """(the set runs proxy-agent?, why not when it does not)."""
    present = any(
        o.get("kind") == "Deployment" and (o.get("metadata") or {}).get("name") == "proxy-agent"
        for o in objects
    )
    if present:
        return True, ""
    if facts["mode"] == "kubeflow":
        return False, "the full platform has no inverse proxy."
    env = facts["env"] or "platform-agnostic"
    if env in ("dev", "gcp"):  # these envs have one upstream: these manifests left it out
        return False, (
            f"these env {env} manifests of KFP {facts['version']} have no proxy-agent, so "
            "no inverse proxy (upstream's env dev and gcp do)."
        )
    return False, (
        f"env {env} of KFP {facts['version']} has no inverse proxy (only env dev and gcp do)."
    )


def local_access(mode: str) -> str:
    """The sentence after "No public URL: ...": the way in this mode does have. The
    full platform is opened through its Istio gateway and the Dex login, never by a
    forward to ml-pipeline-ui, which skips the login multi-user KFP needs."""
    from kfwizard.kube.access import DEX_USER, forward_target

    command = forward_target(mode).command
    if mode == "kubeflow":
        return (
            f'Reach it through the Istio gateway instead ("{command}"), then log in at '
            f"http://localhost:8080 as {DEX_USER}."
        )
    return f'Use the local port-forward instead ("{command}").'


class VerifyStep(BaseStep):
    """Health, version, UI, public URL, SDK line, credentials, next steps."""

    id = "verify"
    title = "Verify the install"
    eta_seconds: float | None = 20.0

    def commands(self, session: Session) -> list[str]:
        facts = deployment_facts(session)
        api = "v1beta1" if facts["version"].startswith("1.") else "v2beta1"
        lines = [
            f"kubectl get --raw /api/v1/namespaces/{NAMESPACE}/services/ml-pipeline:8888/proxy/"
            f"apis/{api}/healthz",
            f"kubectl get --raw /api/v1/namespaces/{NAMESPACE}/services/ml-pipeline-ui:80/proxy/"
            "apis/v1beta1/healthz",
        ]
        if facts["env"] in ("dev", "gcp"):
            lines.append(
                f"kubectl get configmap inverse-proxy-config -n {NAMESPACE} "
                "-o jsonpath='{.data.Hostname}'"
            )
        from kfwizard.kube.verify import ui_forward_command

        lines.append(ui_forward_command(facts["mode"]))
        return lines

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.kube import verify as kv
        from kfwizard.manifests import catalog

        mset = manifest_set(ctx)
        facts = deployment_facts(ctx.session, mset)
        version = kfp_version(facts) or facts["version"]
        clients = kube_clients(ctx)
        wait = timeout(ctx, "verify")
        checks: list[kv.Check] = []

        skip = dict(ctx.selections.get("skip_checks") or {})
        skip.update(ctx.options.get("skip_checks") or {})

        api_check, api = kv.check_api(clients, version, timeout=wait, control=ctx)
        checks.append(api_check)
        ctx.detail("verify", [c.to_json() for c in checks])
        if api_check.state == "fail":
            self._fail(ctx, checks, api_check, "ml-pipeline")
        if "api-version" in skip:
            checks.append(
                kv.Check(
                    "api-version",
                    "skipped",
                    f"Skipped at your request: {skip['api-version']}.",
                    {"tag_name": api.get("tag_name"), "installed": version},
                )
            )
        else:
            checks.append(kv.check_api_version(api, version))
        ui_checks, ui = kv.check_ui(clients, version, timeout=wait, control=ctx)
        checks += ui_checks
        ctx.detail("verify", [c.to_json() for c in checks])

        from kfwizard.engine.steps.install import all_objects

        proxy, why_not = has_inverse_proxy(facts, all_objects(mset))
        public_url: str | None = None
        note = why_not
        if proxy and "public-url" in skip:
            proxy, note = False, f"skipped at your request ({skip['public-url']})."
        if proxy:
            ctx.log("Waiting for the inverse proxy's public URL (proxy-agent)…")
            public_url = kv.wait_public_url(
                clients, timeout=timeout(ctx, "public_url"), control=ctx
            )
            if public_url is None:
                note = kv.explain_missing_url(
                    clients, control=ctx, waited=timeout(ctx, "public_url")
                )
        if public_url:
            checks.append(
                kv.Check("public-url", "pass", f"Public URL: {public_url}", {"url": public_url})
            )
        else:
            stop = "" if note.rstrip().endswith((".", "!", "?")) else "."
            said = f"{note.rstrip()}{stop} {local_access(facts['mode'])}"
            if facts["mode"] == "kubeflow":
                # The Verify screen's "Public URL" row shows the note: the way in is
                # the gateway and the Dex login (its p forwards to the gateway too).
                note = said
            checks.append(
                kv.Check("public-url", "warn" if proxy else "skipped", f"No public URL: {said}", {})
            )
        sdk = catalog.sdk_line(facts["mode"], facts["version"] or None)
        checks.append(kv.Check("sdk", "pass", f"Matching SDK: {sdk}", {"line": sdk}))
        hints = kv.credentials_hint(clients, control=ctx, mode=facts["mode"])
        if hints:
            checks.append(
                kv.Check(
                    "credentials",
                    "pass",
                    "Default credentials live in: "
                    + "; ".join(f"{h['what']} in Secret {h['secret']}" for h in hints),
                    {"where": hints},
                )
            )
        steps = kv.next_steps(
            sdk,
            public_url,
            version,
            session_id=ctx.session.id,
            mode=facts["mode"],
            inventory=ctx.session.inventory,
        )
        rows = [c.to_json() for c in checks]
        ctx.detail("verify", rows)
        ctx.outputs.update(
            {
                "api": api,
                "ui": ui,
                "public_url": public_url,
                "public_url_note": note,
                "sdk_line": sdk,
                "credentials_hint": hints,
                "next_steps": steps,
                "checks": rows,
            }
        )
        failed = [c for c in checks if c.state == "fail"]
        workload = None
        if failed and failed[0].name.startswith("ui"):
            workload = "ml-pipeline-ui"
        if not failed or workload is not None:
            # A failure without a workload lists every check in its details, which the
            # runner logs: logging them here as well printed each check twice.
            for c in checks:
                ctx.log(f"[{c.state}] {c.name}: {c.message}")
        if failed:
            self._fail(ctx, checks, failed[0], workload)
        for line in steps:
            ctx.log(f"next: {line}")

    def _fail(self, ctx: StepContext, checks: list[Any], check: Any, workload: str | None) -> None:
        """Raise with the check's words; for a broken workload add its diagnosis (logs)."""
        rows = [c.to_json() for c in checks]
        ctx.outputs["checks"] = rows
        ctx.detail("verify", rows)
        if workload is None:  # the version check: nothing is broken, it is the wrong thing
            raise StepFailed(
                check.message,
                "install env platform-agnostic, which runs the same components with the "
                "release images; or keep these images and skip the check with "
                "skip_checks: {api-version: REASON}",
                tuple(f"[{c.state}] {c.name}: {c.message}" for c in checks),
            )
        diag = diagnose_failure(ctx, [NAMESPACE], None)
        related = [d for d in ctx.outputs.get("diagnoses") or [] if d.get("workload") == workload]
        cause = check.message
        if related:
            cause = f"{cause} {related[0]['cause']}"
        action = (
            related[0]["action"]
            if related
            else f'look at "kubectl logs -n {NAMESPACE} deploy/{workload}", then resume'
        )
        raise StepFailed(cause, action, diag.details)
