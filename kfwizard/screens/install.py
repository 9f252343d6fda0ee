"""Step 4, Install: preflight, apply, and wait until Kubeflow Pipelines is running.

This is where installs used to fail "at initialisation" with no clue why. The screen
shows each engine step with its state and elapsed time, the live log, the kubectl
commands of the running step, and a live table of the Deployments being waited for,
with what is stuck in plain words. A failure gets the cause and the next action; a
cancel leaves the session resumable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.content import Content
from textual.widgets import DataTable, Static

from kfwizard.engine.events import StepDetail
from kfwizard.screens.base import WizardScreen
from kfwizard.widgets.checklist import CheckList
from kfwizard.widgets.step_indicator import HALF_REMOVED, REMOVED, session_phase_states
from kfwizard.wording import plural

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

STATE_STYLE = {
    "ready": "$text-success",
    "available": "$text-success",
    "done": "$text-success",
    "ok": "$text-success",
    "pass": "$text-success",
    "waiting": "$text-accent",
    "progressing": "$text-accent",
    "pending": "$text-muted",
    "stuck": "$text-error",
    "failed": "$text-error",
    "fail": "$text-error",
    "warn": "$text-warning",
    "warning": "$text-warning",
}


def styled_state(state: str) -> Content:
    colour = STATE_STYLE.get(state.lower(), "$foreground")
    return Content.from_markup(f"[{colour}]$s[/]", s=state)


class InstallScreen(WizardScreen):
    PHASE = "install"
    CSS_PATH = HERE / "install.tcss"
    ACTION_LABEL = "Install"
    SHOW_STEP_LIST = True
    INTRO = (
        "kfwizard checks the cluster, applies the manifests in a safe order and waits "
        "until every Deployment is ready. Cancel any time: the session stays resumable."
    )
    HELP = (
        "**What happens here.** *Preflight* checks the cluster before anything changes: "
        "Kubernetes version, your permissions, a default StorageClass, free CPU and memory. "
        "*Apply* sends the objects with server-side apply (field manager `kfwizard`): "
        "CustomResourceDefinitions first, waiting until each is Established, then the rest. "
        "*Rollout* waits for the Deployments Kubeflow Pipelines needs and, when one is stuck, "
        "says why (Pending for lack of CPU, an image that cannot be pulled, a crash loop).\n\n"
        "**Resuming.** Every object applied is recorded in the session; a resumed install "
        "checks what is already there and carries on. **Cancel** (ctrl+x) stops at the next "
        "safe point.\n\n"
        "**Another version or env** over an earlier install (an upgrade) replaces it: after "
        "the apply, what only the earlier manifests had is removed, like `kubectl apply "
        "--prune`. Volumes, namespaces and CRDs stay, named in the log: they hold data or "
        "other objects."
    )

    def compose_main(self) -> Any:
        yield Static(id="install-summary")
        yield CheckList(id="checks")
        yield Static(id="diagnoses")
        yield DataTable(id="deployments", cursor_type="row", zebra_stripes=True)

    def static_commands(self) -> list[str]:
        deployment = self.choices.get("deployment") or {}
        version = deployment.get("version") or "VERSION"
        env = deployment.get("env") or "platform-agnostic"
        base = "github.com/kubeflow/pipelines/manifests/kustomize"
        return [
            f'kubectl apply -k "{base}/cluster-scoped-resources?ref={version}"',
            "kubectl wait --for condition=established --timeout=60s crd/applications.app.k8s.io",
            f'kubectl apply -k "{base}/env/{env}?ref={version}"',
            "kubectl get deployments -n kubeflow",
        ]

    def default_steps(self) -> list[tuple[str, str]]:
        return [
            ("preflight", "Preflight checks"),
            ("apply", "Apply manifests"),
            ("rollout", "Wait for Deployments"),
        ]

    def on_mount(self) -> None:
        # (Textual also runs WizardScreen.on_mount: handlers are called along the MRO.)
        self.add_class("-has-log")

    def load_fields(self) -> None:
        table = self.query_one("#deployments", DataTable)
        _add_columns(table)
        table.display = False
        self.query_one("#checks", CheckList).display = False
        self.query_one("#diagnoses", Static).display = False
        self.query_one("#install-summary", Static).update(self.summary())
        rollout = self.outputs_of_last_run("rollout")
        if rollout.get("deployments"):
            self.show_deployments(rollout["deployments"])
        checks = self.outputs_of_last_run("preflight").get("checks")
        if checks:
            self.show_checks(checks)
        diagnoses = rollout.get("diagnoses")
        if diagnoses:
            self.show_diagnoses(diagnoses)

    def outputs_of_last_run(self, step_id: str) -> dict[str, Any]:
        """A step's saved outputs, unless the step was sent back to pending since (a
        new cluster or new manifests): another cluster's preflight failures and
        Deployments are not this one's. The outputs stay saved for the steps that
        read them (what an earlier set applied); they are only not shown.

        Nor after a teardown (finished or not) that removed the install: its
        preflight checks and ready Deployments described objects that are gone, and
        the records still read done until the next run starts."""
        record = self.session.steps.get(step_id)
        if record is None or record.state == "pending":
            return {}
        if self.removed_by_teardown():
            return {}
        return dict(self.session.outputs.get(step_id) or {})

    def removed_by_teardown(self) -> bool:
        """A teardown (finished or not) removed the install this screen would describe."""
        return session_phase_states(self.session).get(self.PHASE) in (REMOVED, HALF_REMOVED)

    def summary(self) -> Content:
        deployment = self.choices.get("deployment") or {}
        cluster = self.choices.get("cluster") or {}
        connect = self.session.outputs.get("connect") or {}
        counts = (self.session.outputs.get("manifests") or {}).get("counts") or {}
        target = connect.get("context") or cluster.get("context") or cluster.get("name") or "?"
        objects = (
            plural(sum(int(n) for n in counts.values()), "object") if counts else "the manifests"
        )
        mode = str(deployment.get("mode") or "kfp-standalone")
        text = Content.from_markup(
            "Installs [b]$mode $version[/b] ($env): $objects into [b]$target[/b].",
            mode=mode,
            version=str(deployment.get("version") or ""),
            env=str(deployment.get("env") or ""),
            objects=objects,
            target=str(target),
        )
        from kfwizard.engine.steps.install import replaces_earlier

        # What a teardown removed is not "installed here earlier". (A step sent back to
        # pending by new manifests is: that is the install this one replaces.)
        earlier = {} if self.removed_by_teardown() else self.session.outputs.get("apply") or {}
        replaced = (earlier.get("version"), earlier.get("env"))
        if (
            earlier.get("version")
            and replaces_earlier(earlier, connect.get("context"), mode)
            and replaced != (deployment.get("version"), deployment.get("env"))
        ):
            text += Content.from_markup(
                " It replaces $version ($env), installed here earlier: what only that had is "
                "removed after the apply; its volumes stay.",
                version=str(replaced[0]),
                env=str(replaced[1]),
            )
        return text

    def on_step_detail(self, event: StepDetail) -> None:
        if not isinstance(event.value, list):
            return
        if event.key == "deployments":
            self.show_deployments(event.value)
        elif event.key in ("preflight", "checks"):
            self.show_checks(event.value)
        elif event.key == "diagnoses":
            self.show_diagnoses(event.value)

    def show_deployments(self, rows: list[Any]) -> None:
        """Replace the table's rows (the engine sends the whole list each time).

        The columns are replaced too: ``DataTable`` widens a column for the longest
        text it ever held, so a message that has since cleared ("not created yet")
        would keep the Why column wide for good, and the table would look different
        for the same rows depending on what it showed before.
        """
        table = self.query_one("#deployments", DataTable)
        table.clear(columns=True)
        shown = [row for row in rows if isinstance(row, dict)]
        names = [str(row.get("name", "")) for row in shown]
        messages = [str(row.get("message") or "") for row in shown]
        _add_columns(table, names, messages)
        for row, name, message in zip(shown, names, messages, strict=True):
            table.add_row(
                name,
                str(row.get("ready", "")),
                styled_state(str(row.get("state", ""))),
                message,
                key=name,
            )
        table.display = bool(shown)

    def show_checks(self, checks: list[Any]) -> None:
        widget = self.query_one("#checks", CheckList)
        widget.set_rows(checks)
        widget.display = bool(checks)

    def show_diagnoses(self, diagnoses: list[Any]) -> None:
        """What is stuck, in plain words: subject, problem, cause and the next action."""
        lines = []
        for item in diagnoses:
            if not isinstance(item, dict):
                continue
            colour = "$text-error" if item.get("severity") in ("error", "fail") else "$text-warning"
            lines.append(
                Content.from_markup(
                    f"[{colour}]![/] [b]$subject[/b]: $problem",
                    subject=str(item.get("subject", "")),
                    problem=str(item.get("problem", "")),
                )
            )
            if item.get("cause"):
                lines.append(Content.from_markup("  [$text-muted]Why:[/] $c", c=str(item["cause"])))
            if item.get("action"):
                lines.append(
                    Content.from_markup("  [$text-muted]Next:[/] $a", a=str(item["action"]))
                )
        widget = self.query_one("#diagnoses", Static)
        widget.update(Content("\n").join(lines))
        widget.display = bool(lines)


def _add_columns(
    table: DataTable[Any], names: list[str] | None = None, messages: list[str] | None = None
) -> None:
    """The rollout table's columns; Deployment and Why as wide as their longest text.

    The widths are set here, from the rows about to be added, rather than measured by
    ``DataTable`` when it next idles: a screen painted before that (a screenshot, a
    busy event loop) showed "ml-pipelin" cut to the header's width.
    """
    table.add_column("Deployment", key="name", width=_widest("Deployment", names))
    table.add_column("Ready", key="ready", width=5)
    table.add_column("State", key="state", width=11)
    table.add_column("Why", key="message", width=_widest("Why", messages))


def _widest(header: str, texts: list[str] | None) -> int:
    return max(cell_len(text) for text in [header, *(texts or [])])
