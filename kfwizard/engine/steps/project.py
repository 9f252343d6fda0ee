"""Project phase: who is calling Google, for which project, and are the APIs on.

``credentials`` settles the project (chosen, or detected the way gcloud users expect)
and loads credentials once for the run. ``services`` makes sure every API the chosen
deployment mode needs is enabled, enabling the missing ones in one batch when the
selections allow it (``services: enable``), or naming them when they do not.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from kfwizard.engine.errors import BadInput, StepFailed
from kfwizard.engine.step import BaseStep, StepContext
from kfwizard.gcp import runtime
from kfwizard.wording import plural

if TYPE_CHECKING:
    from kfwizard.session import Session

NO_PROJECT_RULE = (
    "no project chosen or found; pick one in the wizard, put `project:` in the answers file, "
    "run `gcloud config set project PROJECT_ID`, or set CLOUDSDK_CORE_PROJECT"
)


def _mode(selections: dict) -> str:
    return str((selections.get("deployment") or {}).get("mode") or "kfp-standalone")


def _session_project(session: Session) -> str:
    found = (session.outputs.get("credentials") or {}).get("project")
    return str(found or session.selections.get("project") or "PROJECT_ID")


class CredentialsStep(BaseStep):
    """Settle the project and load Google credentials."""

    id = "credentials"
    title = "Google credentials and project"
    eta_seconds = 2.0

    def commands(self, session: Session) -> list[str]:
        return [
            "gcloud auth application-default login",
            f"gcloud config set project {_session_project(session)}",
        ]

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.gcp import auth, validation

        env = runtime.env_of(ctx)
        chosen = ctx.selections.get("project")
        detected = auth.detect_project(env)
        if chosen:
            project, source = str(chosen), "selections"
        elif detected.project:
            project, source = detected.project, detected.source
        else:
            raise BadInput("project", NO_PROJECT_RULE)
        rule = validation.validate_project_id(project)
        if rule:
            raise BadInput("project", f"{rule} (from {source})", project)
        ctx.log(f"project: {project} (from {source})")
        if chosen and detected.project and detected.project != chosen:
            ctx.log(f"note: gcloud's own project is {detected.project} ({detected.source})")

        creds = runtime.credentials(ctx)
        anonymous = auth.is_anonymous(creds)
        if anonymous:
            ctx.log(
                "credentials: none (CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true, as for the emulators)"
            )
        else:
            auth.bearer_token(creds)  # proves the credentials work before anything is created
            ctx.log(
                "credentials: application default credentials for "
                f"{detected.account or 'your account'}"
            )
        ctx.outputs.update(
            {
                "project": project,
                "project_source": source,
                "account": detected.account,
                "anonymous": anonymous,
            }
        )


class ServicesStep(BaseStep):
    """Make sure the APIs the deployment mode needs are enabled."""

    id = "services"
    title = "Google Cloud APIs"
    eta_seconds = 60.0

    def commands(self, session: Session) -> list[str]:
        from kfwizard.gcp import services

        required, _ = services.needed_services(_mode(session.selections))
        project = _session_project(session)
        return [
            f"gcloud services list --enabled --project={project}",
            services.enable_command(project, required),
        ]

    def _project(self, ctx: StepContext) -> str:
        project = runtime.project_of(ctx)
        if not project:
            raise BadInput("project", NO_PROJECT_RULE)
        return project

    def _list(self, ctx: StepContext, project: str) -> set[str]:
        from kfwizard.gcp import explain, services
        from kfwizard.gcp.retries import call_with_retries

        client = runtime.service_usage(ctx)
        try:
            return call_with_retries(
                lambda: services.list_enabled(client, project),
                what="listing enabled APIs",
                sleep=ctx.sleep,
                log=ctx.log,
                policy=runtime.retry_policy(ctx),
            )
        except Exception as exc:
            if not _is_google_error(exc):
                raise
            raise explain.explain_api_error(
                exc, "services.list", explain.Facts(project=project)
            ) from exc

    def check(self, ctx: StepContext) -> bool:
        from kfwizard.gcp import services

        project = runtime.project_of(ctx)
        if not project:
            return False
        plan = services.plan_services(_mode(ctx.selections), self._list(ctx, project))
        return plan.satisfied

    def apply(self, ctx: StepContext) -> None:
        from kfwizard.gcp import explain, services

        project = self._project(ctx)
        mode = _mode(ctx.selections)
        plan = services.plan_services(mode, self._list(ctx, project))
        ctx.log(f"{mode} needs: {', '.join(plan.required)}")
        for service in plan.missing_optional:
            ctx.log(
                f"warning: optional API {explain.api_display(service)} is off "
                "(not needed to install)"
            )
        ctx.detail(
            "services",
            {
                "required": plan.required,
                "missing": plan.missing_required,
                "optional_missing": plan.missing_optional,
            },
        )
        missing = plan.missing_required
        if missing:
            policy = ctx.selections.get("services", "enable")
            if policy == "check":
                names = ", ".join(explain.api_display(s) for s in missing)
                raise StepFailed(
                    f"These APIs are not enabled in {project}: {names}.",
                    f"run `{services.enable_command(project, missing)}`, "
                    f"or {explain.CHOOSE_ENABLE}; then resume",
                )
            self._enable(ctx, project, missing)
        else:
            ctx.log("all required APIs are enabled")
        ctx.outputs["enabled"] = sorted(set(plan.enabled) | set(missing))
        ctx.outputs.setdefault("enabled_by_us", [])
        ctx.outputs.pop("enabling", None)  # every API asked for is confirmed enabled now

    def _enable(self, ctx: StepContext, project: str, missing: list[str]) -> None:
        from kfwizard.gcp import explain, services
        from kfwizard.gcp.retries import call_with_retries, is_transient

        account = (ctx.session.outputs.get("credentials") or {}).get("account")
        facts = explain.Facts(project=project, account=account)
        client = runtime.service_usage(ctx)
        policy = runtime.retry_policy(ctx)
        ctx.log(f"enabling {plural(len(missing), 'API')}: {' '.join(missing)}")
        try:
            for start in range(0, len(missing), services.BATCH_LIMIT):
                batch = missing[start : start + services.BATCH_LIMIT]
                _note_requested(ctx, batch)
                try:
                    operation = call_with_retries(
                        functools.partial(services.start_enable, client, project, batch),
                        what="enabling APIs",
                        sleep=ctx.sleep,
                        log=ctx.log,
                        policy=policy,
                    )
                except Exception as exc:
                    if _is_google_error(exc) and not is_transient(exc):
                        _forget_requested(ctx, batch)  # refused outright: nothing was enabled
                    raise
                name = services.operation_name(operation)
                ctx.log(f"batchEnable operation {name} started")
                ctx.outputs["operation"] = name
                ctx.save()
                services.wait_operation(
                    operation,
                    sleep=ctx.sleep,
                    log=ctx.log,
                    timeout=runtime.timeout(ctx, "services"),
                    interval=runtime.poll_interval(ctx),
                    clock=time.monotonic,
                    retry=policy,
                )
        except TimeoutError as exc:
            raise StepFailed(
                f"Enabling the APIs did not finish in time ({exc}).",
                "resume in a few minutes; Google keeps enabling them in the background",
            ) from exc
        except Exception as exc:
            if not _is_google_error(exc):
                raise
            raise explain.explain_api_error(exc, "services.enable", facts) from exc
        try:
            still = services.confirm_enabled(
                client,
                project,
                missing,
                sleep=ctx.sleep,
                log=ctx.log,
                rounds=5,
                interval=max(runtime.poll_interval(ctx), 0.05) * 10,
                retry=policy,
            )
        except Exception as exc:
            if not _is_google_error(exc):
                raise
            raise explain.explain_api_error(exc, "services.list", facts) from exc
        if still:
            names = ", ".join(sorted(still))
            raise StepFailed(
                "Google accepted the request, but these APIs are not reported as enabled "
                f"yet: {names}.",
                "newly enabled APIs can take a few minutes; resume shortly",
            )
        ctx.log(f"enabled: {', '.join(missing)}")


def _is_google_error(exc: BaseException) -> bool:
    """Errors the explainer knows how to word (API errors and transport failures)."""
    from kfwizard.gcp.retries import is_google_error

    return is_google_error(exc)


def _merge(listed: list[str] | None, more: list[str] | None) -> list[str]:
    """``listed`` followed by what ``more`` adds, each once, in order."""
    merged = list(listed or [])
    merged += [s for s in more or [] if s not in merged]
    return merged


def _note_requested(ctx: StepContext, batch: list[str]) -> None:
    """Record the APIs about to be enabled, and save, before the request leaves.

    Google may enable them even if kfwizard is killed or interrupted the next moment;
    the resumed run then finds them enabled and skips the step, so the session must
    already list them (``enabling``, ``enabled_by_us``, ``inventory.services``). Only
    APIs this session asks for are listed: ones that were on before never are, so a
    teardown can never turn off something the user had already.
    """
    ctx.outputs["enabling"] = _merge(ctx.outputs.get("enabling"), batch)
    ctx.outputs["enabled_by_us"] = _merge(ctx.outputs.get("enabled_by_us"), batch)
    inventory = ctx.session.inventory
    inventory["services"] = _merge(inventory.get("services"), batch)
    ctx.save()


def _forget_requested(ctx: StepContext, batch: list[str]) -> None:
    """Undo :func:`_note_requested` for a batch Google refused outright (403, 400):
    nothing of it was enabled, so the session must not claim it."""
    for listed in (
        ctx.outputs.get("enabling"),
        ctx.outputs.get("enabled_by_us"),
        ctx.session.inventory.get("services"),
    ):
        if listed is not None:
            listed[:] = [s for s in listed if s not in batch]
    ctx.save()
