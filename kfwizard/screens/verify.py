"""Step 5, Verify: prove the install works, show how to use it, and how to remove it.

"Installed" is not "working": this screen runs the verify step (KFP API healthz through
the API server's service proxy, the UI, the public URL when the mode has one), shows
each check with its evidence, opens a local port-forward on request (to the KFP UI, or
the full platform's Istio gateway and its Dex login; stopped when leaving or quitting),
and sums up what to do next. Teardown previews what the session created and deletes
only that, asking for the cluster's name when the session did not create it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from kfwizard.engine.cluster_inventory import clusters_to_delete
from kfwizard.engine.events import StepDetail
from kfwizard.engine.phases import wizard_phase
from kfwizard.kube.access import GATEWAY, KFP_UI, ForwardTarget, forward_target, session_mode
from kfwizard.screens.base import WizardScreen
from kfwizard.widgets.checklist import CheckList
from kfwizard.widgets.step_indicator import HALF_REMOVED, REMOVED, session_phase_states

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

NOT_VERIFIED = "Not verified yet: press Verify."
"""What the empty checks card says while no verification stands."""

FORWARD_HELP = (
    "**Port-forward** opens the UI on http://127.0.0.1:8080 (or the next free port), "
    f"like `{KFP_UI.command}`. It listens on this machine only and stops when you leave "
    "this screen or quit."
)
GATEWAY_FORWARD_HELP = (
    "**Port-forward** opens the Kubeflow dashboard on http://127.0.0.1:8080 (or the next "
    f"free port) through the Istio gateway, like `{GATEWAY.command}`; then "
    f"{GATEWAY.login}. It listens on this machine only and stops when you leave this "
    "screen or quit."
)
"""The full platform's: what ``p`` opens there is the gateway and its Dex login."""


def check_rows(outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The verify checks as rows {name, state, message}, from the step's outputs."""
    verify = outputs.get("verify") or {}
    rows = verify.get("checks")
    if isinstance(rows, list) and rows:
        return [r for r in rows if isinstance(r, dict)]
    found: list[dict[str, Any]] = []
    api = verify.get("api")
    if isinstance(api, dict):
        found.append(
            {
                "name": "KFP API healthz",
                "state": "ok",
                "message": ", ".join(
                    f"{k}={v}"
                    for k, v in api.items()
                    if k in ("tag_name", "commit_sha", "multi_user")
                ),
            }
        )
    ui = verify.get("ui")
    if isinstance(ui, dict):
        found.append(
            {
                "name": "UI",
                "state": "ok" if ui.get("apiServerReady", True) else "fail",
                "message": ", ".join(f"{k}={v}" for k, v in list(ui.items())[:3]),
            }
        )
    if verify.get("public_url"):
        found.append({"name": "Public URL", "state": "ok", "message": verify["public_url"]})
    return found


URL_JOINTS = "/.-"
"""Where a URL too long for its row is broken: after a slash, a dot or a hyphen."""


def url_rows(url: str, width: int) -> list[str]:
    """``url`` in rows of at most ``width`` characters, each ending at the last joint
    (``URL_JOINTS``) that fits, in its latter two thirds: ``…-dot-us-central1.pipelines.``
    / ``googleusercontent.com``. Mid-word only where no joint fits."""
    rows: list[str] = []
    while width > 0 and len(url) > width:
        cut = max(url.rfind(joint, width // 3, width) for joint in URL_JOINTS) + 1
        cut = cut if cut > 0 else width
        rows.append(url[:cut])
        url = url[cut:]
    return [*rows, url]


class WholeUrl:
    """A URL for a Rich table cell, shown whole: a cell cuts a word wider than itself
    with "…" (the public URL lost its end in the summary, at 80 and 120 columns), and
    folding it would break it anywhere; this breaks it at its joints (``url_rows``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __str__(self) -> str:
        return self.url

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement(min(len(self.url), 20), len(self.url))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment

        for row in url_rows(self.url, options.max_width):
            yield Segment(row)
            yield Segment.line()


def version_line(deployment: dict[str, Any], api_version: Any = None) -> str:
    """What was installed, in the Install screen's words.

    Full Kubeflow is named by its platform release, with the KFP inside it (what the
    API answers, else the catalog's): "Kubeflow 26.03 (KFP 2.16.0)". Called
    "Kubeflow Pipelines 2.16.0 (kubeflow, gke)", it read as another install than the
    Install screen's "kubeflow 26.03"."""
    mode = deployment.get("mode") or ""
    if mode == "kubeflow":
        from kfwizard.manifests.catalog import kubeflow_release

        tag = deployment.get("version") or "?"
        release = kubeflow_release(str(tag))
        kfp = api_version or (release.kfp_version if release is not None else None)
        return f"Kubeflow {tag} (KFP {kfp})" if kfp else f"Kubeflow {tag}"
    version = api_version or deployment.get("version") or "?"
    return f"Kubeflow Pipelines {version} ({mode}, {deployment.get('env', '')})"


def reinstall_text(selections: dict[str, Any], inventory: dict[str, Any]) -> str:
    """What running a torn-down session again does, cluster and cost first."""
    from kfwizard.gcp import clusters, sizing

    cluster = selections.get("cluster") or {}
    deployment = selections.get("deployment") or {}
    name, location = cluster.get("name") or "?", cluster.get("location") or "?"
    source = cluster.get("source") or "create"
    deleted = bool((inventory.get("cluster") or {}).get("deleted"))
    if source == "create" and deleted:
        machine_type = str(cluster.get("machine_type") or "n1-standard-2")
        nodes = clusters.total_nodes(str(location), int(cluster.get("nodes") or 3))
        price = sizing.hourly_price(machine_type, nodes)
        price = f", {price}" if price else ""
        first = (
            f"GKE cluster {name} in {location} is created again ({nodes} x {machine_type}"
            f"{price}, billed until it is deleted)"
        )
    elif source == "existing" and deleted:
        return (
            f"GKE cluster {name}, which this session adopted, was deleted by the teardown: "
            "the run stops at the Cluster step, where you choose another cluster."
        )
    elif source in ("create", "existing"):
        first = f"GKE cluster {name} in {location} is used again"
    else:
        first = f"the cluster of kubeconfig context {cluster.get('context') or '?'} is used again"
    return (
        f"Every step runs again: {first}, then {version_line(deployment)} is installed and "
        "verified."
    )


class VerifyScreen(WizardScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Shown on the buttons ("(p)", "(t)") rather than in a full key line.
        Binding("p", "port_forward", "Port-forward", show=False),
        Binding("t", "teardown", "Teardown", show=False),
    ]
    PHASE = "verify"
    CSS_PATH = HERE / "verify.tcss"
    ACTION_LABEL = "Verify"
    INTRO = (
        "kfwizard checks that Kubeflow Pipelines answers: its API, its UI, and the public "
        "URL when the mode has one. Then it shows how to open and use it."
    )
    HELP = (
        "**What happens here.** The verify step calls the KFP API's healthz through the "
        "Kubernetes API server (no port-forward needed) and checks the version matches, asks "
        "the UI whether it reaches the API, and reads the inverse proxy's public URL when the "
        "mode has one. A missing public URL is a warning, not a failure: the port-forward "
        "always works.\n\n"
        f"{FORWARD_HELP}\n\n"
        "**Teardown** deletes what this session created, after showing the list: the "
        "Kubeflow objects, and the cluster if the session created it (a cluster you brought "
        "is deleted only if you type its name)."
    )

    def __init__(self) -> None:
        super().__init__()
        self.forward: Any = None
        """The running PortForward, if any (stopped on leave and quit)."""
        self.tearing_down = False
        """The current run is a teardown, not a verification."""
        self._teardown_args: tuple[bool, str | None] | None = None

    def compose_main(self) -> Any:
        # The summary (how to use what was installed) comes first: on 24 rows the
        # checks would push it below the fold.
        summary = Static(id="summary")
        summary.border_title = "Summary"
        yield summary
        with Horizontal(id="verify-actions"):
            yield Button("Open port-forward (p)", id="port-forward", compact=True)
            yield Button("Teardown… (t)", id="teardown", variant="error", compact=True)
        checks = CheckList(empty=NOT_VERIFIED, id="checks")
        checks.border_title = "Checks"
        yield checks

    def load_fields(self) -> None:
        self.refresh_cards()

    def static_commands(self) -> list[str]:
        target = self.forward_target()
        if target.login:
            return ["kubectl get deployments -n kubeflow", target.command]
        return [
            "kubectl get deployments -n kubeflow",
            target.command,
            "curl -s http://127.0.0.1:8080/apis/v2beta1/healthz",
        ]

    def forward_target(self) -> ForwardTarget:
        """What ``p`` forwards to (or the open forward does): the full platform's
        gateway, or the KFP UI."""
        if self.forward is not None:
            return self.forward.target
        return forward_target(session_mode(self.session))

    def help_text(self) -> tuple[str, str, list[tuple[str, str]]]:
        title, text, keys = super().help_text()
        if self.forward_target().login:
            text = text.replace(FORWARD_HELP, GATEWAY_FORWARD_HELP)
        return title, text, keys

    def primary_label(self) -> str:
        if self.running:
            return "Running…"
        if self.torn_down() or self.half_torn_down():
            return "Install again…"
        return "Verify again" if self.phase_done() else self.ACTION_LABEL

    def torn_down(self) -> bool:
        return self.session.status == "removed"

    def half_torn_down(self) -> bool:
        """A teardown was stopped or failed: part of the install is gone."""
        from kfwizard.engine.steps.teardown import teardown_unfinished

        return teardown_unfinished(self.session)

    def run_is_consent(self) -> bool:
        # A torn-down session only runs again through the "Install again…" dialog,
        # which named the cluster and its price.
        return self.torn_down() or self.half_torn_down()

    def update_nav(self) -> None:
        super().update_nav()
        if not self.is_attached or self.running:
            return
        status = self.query_one("#nav-status", Static)
        if self.torn_down():
            status.update(Content.from_markup("[$text-muted]Torn down[/]"))
        elif self.half_torn_down() and not self.failure_shown():
            status.update(
                Content.from_markup("[$text-warning]Teardown not finished: t finishes it[/]")
            )

    def start_run(self) -> None:
        """After a teardown, even one that stopped halfway, running the plan again
        re-creates what was deleted, the cluster included: say so and ask first (the
        button reads "Install again…")."""
        half = self.half_torn_down()
        if not (self.torn_down() or half):
            super().start_run()
            return
        from kfwizard.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                super(VerifyScreen, self).start_run()

        self.app.push_screen(
            ConfirmDialog(
                "Install this session again?",
                ("The teardown did not finish; t finishes it instead. " if half else "")
                + reinstall_text(self.choices, self.session.inventory)
                + (
                    " In the demo it all happens on the emulators: nothing is billed."
                    if self.wizard.demo
                    else ""
                ),
                yes="Install again",
            ),
            answered,
        )

    def verified_standing(self) -> bool:
        """The saved verification describes what is installed now: the verify step
        ran (its record is not pending) and no teardown removed the install since.

        A wizard run after a teardown sends the verify record back to pending, but
        keeps the old outputs: an "Install again…" that failed or was stopped before
        Verify left the old all-✓ checks on screen, over nothing installed."""
        if any(
            rec.state != "pending"
            for step_id, rec in self.session.steps.items()
            if wizard_phase(step_id) == self.PHASE
        ):
            return session_phase_states(self.session)[self.PHASE] not in (REMOVED, HALF_REMOVED)
        return False

    def installed_now(self) -> bool:
        """Something is there to use (and forward to): the install is done and no
        teardown removed it, or a standing verification says so."""
        states = session_phase_states(self.session)
        return states["install"] == "done" or self.verified_standing()

    def refresh_cards(self) -> None:
        from kfwizard.dialogs.teardown import nothing_to_tear_down

        checks = self.query_one("#checks", CheckList)
        half = self.half_torn_down()
        removed = self.torn_down() or half
        verified = not removed and self.verified_standing()
        installed = not removed and self.installed_now()
        summary = self.query_one("#summary", Static)
        summary.display = installed  # back after an Install again
        # Nothing to forward to once torn down; Teardown stays while a cluster is left.
        self.query_one("#port-forward", Button).display = installed
        self.query_one("#teardown", Button).display = not nothing_to_tear_down(self.session)
        # Once verified, the summary takes the intro's place under the title: what the
        # step will do gives way to what it found, with no scrolling (a scroll made
        # while the new check rows were still being laid out could land anywhere).
        self.set_class(self.phase_done() and not removed, "-verified")
        if removed:
            checks.empty = (
                "Teardown not finished: part of what this session installed is deleted. "
                "t finishes the teardown; Install again… brings it all back."
                if half
                else "Torn down: what this session installed has been deleted."
                + self.kept_clusters_text()
            )
        else:
            # Set again each time: the torn-down words stayed after an Install again.
            checks.empty = NOT_VERIFIED
        checks.set_rows(check_rows(self.session.outputs) if verified else [])
        if installed:
            summary.update(self.summary_content())

    def kept_clusters_text(self) -> str:
        """After a teardown that kept the cluster: it still runs (and bills), and t is
        how it goes. Without this the screen reads as if nothing were left.

        Only the session's own clusters: one it adopted is the user's, there before
        the session and billed to them regardless; "t deletes it" offered to delete
        it as if the session had left it behind."""
        remaining = clusters_to_delete(self.session.inventory)
        kept = [str(c["name"]) for c in remaining if c.get("created_by_session")]
        adopted = [str(c["name"]) for c in remaining if not c.get("created_by_session")]
        theirs = (
            f" GKE cluster {', '.join(adopted)}, which this session adopted, stays yours."
            if adopted
            else ""
        )
        if not kept:
            return theirs
        names = ", ".join(kept)
        subject = f"GKE cluster {names} is" if len(kept) == 1 else f"GKE clusters {names} are"
        billed = "" if self.wizard.demo else ", and billed while it runs"
        return f" {subject} kept{billed}: t deletes {'it' if len(kept) == 1 else 'them'}.{theirs}"

    def summary_content(self) -> Any:
        """Version, UI and public URLs, the SDK line and where credentials live.

        A two-column grid, so long values wrap under themselves, not under the labels.
        """
        from rich.table import Table

        deployment = self.choices.get("deployment") or {}
        # An earlier install's findings (its public URL, its API's version) are not
        # this one's until it is verified again.
        verify = (self.session.outputs.get("verify") or {}) if self.verified_standing() else {}
        api = verify.get("api") or {}
        ui_url = self.ui_line()
        public = (
            verify.get("public_url")
            or verify.get("public_url_note")
            or ("none for this mode: use the port-forward")
        )
        sdk = verify.get("sdk_line") or f"pip install kfp=={deployment.get('version', '')}"
        rows = [
            ("Version", version_line(deployment, api.get("tag_name"))),
            ("UI", ui_url),
            ("Public URL", public),
            ("SDK", sdk),
            ("Credentials", self.credentials_line(verify)),
        ]
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        for key, value in rows:
            text = str(value)
            is_url = text.startswith(("https://", "http://")) and " " not in text
            grid.add_row(key, WholeUrl(text) if is_url else text)
        return grid

    def credentials_line(self, verify: dict[str, Any]) -> str:
        hints = verify.get("credentials_hint")
        if isinstance(hints, list) and hints:
            return "; ".join(
                f"{h.get('what')} in Secret {h.get('secret')}" for h in hints if isinstance(h, dict)
            )
        mode = (self.choices.get("deployment") or {}).get("mode")
        if mode == "kubeflow":
            return "Dex user user@example.com, password 12341234: change them after the install"
        context = (self.session.outputs.get("connect") or {}).get("context") or "your cluster"
        return f"none: standalone KFP has no login; cluster access is kubeconfig context {context}"

    def ui_line(self) -> str:
        """The summary's UI row: the forward's URL, or how to open one; for the full
        platform, that it is the dashboard behind the gateway and how to log in."""
        target = self.forward_target()
        url = self.forward_url()
        if not target.login:
            return url or "press p to open a port-forward (on 127.0.0.1 only)"
        if url:
            return f"{url} (the Kubeflow dashboard through the Istio gateway: {target.login})"
        return (
            "press p to open a port-forward to the Istio gateway (on 127.0.0.1 only), "
            "then log in with Dex"
        )

    def forward_url(self) -> str | None:
        return getattr(self.forward, "url", None) if self.forward is not None else None

    # -- engine ----------------------------------------------------------------------
    def on_step_detail(self, event: StepDetail) -> None:
        if event.key in ("verify", "checks") and isinstance(event.value, list):
            self.query_one("#checks", CheckList).set_rows(event.value)

    def run_succeeded(self) -> None:
        if self.tearing_down:
            self.tearing_down = False
            self._teardown_args = None
            # Like `kfwizard teardown`: the session is kept, marked as removed.
            self.session.status = "removed"
            self.wizard.store.save(self.session)
            self.refresh_indicator()  # "removed" is what turns Install ◐ into ⊘
            self.refresh_cards()
            self.notify("Everything this session created is gone.", title="Teardown complete")
            return
        self.refresh_cards()
        self.notify("Kubeflow Pipelines answers. The summary says how to use it.", title="Verified")
        # The summary is what this step produces: give it the log's room on narrow
        # terminals (the log stays beside it on wide ones).
        self.set_class(False, "-has-log")

    def show_failure(self, result: Any, *, focus: bool = True) -> None:
        self.tearing_down = False
        super().show_failure(result, focus=focus)
        self.refresh_cards()

    # -- port-forward ------------------------------------------------------------------
    def action_port_forward(self) -> None:
        self.toggle_port_forward()

    @on(Button.Pressed, "#port-forward")
    def toggle_port_forward(self) -> None:
        if self.forward is not None:
            self.stop_port_forward()
            self.refresh_cards()
            return
        why_not = self._no_port_forward()
        if why_not:
            self.notify(why_not, title="Port-forward", severity="warning")
            return
        self.query_one("#port-forward", Button).disabled = True
        self.open_port_forward(self.session.copy())

    @work(
        thread=True,
        exclusive=True,
        group="port-forward",
        exit_on_error=False,
        description="kfwizard: port-forward to the KFP UI",
    )
    def open_port_forward(self, snapshot: Any) -> None:
        try:
            from kfwizard.kube.client import clients_for_session
            from kfwizard.kube.portforward import PortForward

            clients = clients_for_session(snapshot, self.wizard.env)
            forward = PortForward.for_session(snapshot, clients)
            url = forward.start()
        except Exception as exc:
            from kfwizard.engine.errors import KfwizardError

            reason = (
                exc.message() if isinstance(exc, KfwizardError) else f"{type(exc).__name__}: {exc}"
            )
            self.app.call_from_thread(self._forward_failed, reason)
            return
        self.app.call_from_thread(self._forward_opened, forward, url)

    def _no_port_forward(self) -> str:
        """Why there is no UI to forward to now, or "" (the teardown removes it)."""
        if self.tearing_down and self.running:
            return "The teardown is removing the UI: there is nothing to forward to."
        if self.torn_down() or self.half_torn_down():
            return (
                "This session's install was torn down: there is no UI to forward to. "
                "Install again (ctrl+n) brings it back."
            )
        return ""

    def _forward_opened(self, forward: Any, url: str) -> None:
        if not self.is_attached:
            forward.stop()
            return
        self.forward = forward
        button = self.query_one("#port-forward", Button)
        button.disabled = False
        button.label = "Stop port-forward (p)"
        self.refresh_cards()
        login = forward.target.login
        self.notify(
            f"The Kubeflow dashboard is at {url} (this machine only): {login}."
            if login
            else f"The UI is at {url} (this machine only).",
            title="Port-forward open",
        )

    def _forward_failed(self, reason: str) -> None:
        if self.is_attached:
            self.query_one("#port-forward", Button).disabled = False
        self.notify(
            f"Could not open the port-forward: {reason}",
            title="Port-forward",
            severity="error",
            timeout=10,
        )

    def stop_port_forward(self) -> None:
        forward, self.forward = self.forward, None
        if forward is not None:
            try:
                forward.stop()
            except Exception:
                pass
        for button in self.query("#port-forward").results(Button):  # none once unmounted
            button.label = "Open port-forward (p)"

    def on_unmount(self) -> None:
        self.stop_port_forward()

    # -- teardown ----------------------------------------------------------------------
    @on(Button.Pressed, "#teardown")
    def action_teardown(self) -> None:
        """The app's teardown (the same dialog from the palette); its answer comes
        back to :meth:`start_teardown` here."""
        self.wizard.action_teardown()

    def retry(self) -> None:
        """Retry repeats a failed teardown, not a verification; one stopped in an
        earlier visit (its choices are not known here) asks them again."""
        if self._teardown_args is not None:
            self.start_teardown(*self._teardown_args)
        elif self.half_torn_down():
            self.action_teardown()
        else:
            super().retry()

    def start_teardown(self, delete_cluster: bool, confirm_name: str | None = None) -> None:
        """Run the teardown plan through the bridge (same log, cancel and failure panel)."""
        from kfwizard.engine.steps.teardown import build_teardown_plan

        self.stop_port_forward()
        self.tearing_down = True
        self._teardown_args = (delete_cluster, confirm_name)
        plan = build_teardown_plan(self.session, delete_cluster, confirm_name)
        if not plan:
            self.tearing_down = False
            self.notify("This session recorded nothing to remove.", title="Teardown")
            return
        assert self.bridge is not None
        # As start_run does: a stopped or failed run's panel (this teardown's last
        # attempt, most often) stayed up over the teardown that finished it.
        self.hide_failure()
        self.set_class(True, "-has-log")
        self.remove_class("-log-empty")
        if not self.begin_run(plan=list(plan)):
            self.tearing_down = False
            return
        self.update_nav()
