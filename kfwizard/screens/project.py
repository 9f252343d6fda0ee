"""Step 1, Project: which Google Cloud project, and may kfwizard enable its APIs?

The project is detected the way gcloud would find it (``CLOUDSDK_CORE_PROJECT``, the
active gcloud configuration, application default credentials) in a worker, and shown
with its source, so the user knows why that value is there. Running the step checks
the credentials and the services the chosen mode needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.widgets import Input, RadioButton, RadioSet

from kfwizard.screens.form import FormScreen
from kfwizard.screens.rules import check
from kfwizard.widgets.field import Field

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

GOOGLE_LOOKUP_DELAY = 0.5
"""Seconds after the quick lookup before google.auth is asked (see ``_ask_google_soon``)."""


class ProjectScreen(FormScreen):
    PHASE = "project"
    COMMANDS_AT_MOUNT = True  # listing them takes about 9 ms
    CSS_PATH = HERE / "project.tcss"
    ACTION_LABEL = "Check project"
    INTRO = (
        "Choose the Google Cloud project to install into. kfwizard checks your credentials "
        "and the APIs Kubeflow needs, and can enable the missing ones."
    )
    HELP = (
        "**What happens here.** kfwizard reads your credentials the way gcloud does "
        "(application default credentials, or anonymous ones against the demo emulators) and "
        "confirms the project exists and you can use it. Then it lists the enabled APIs and, "
        "if you allow it, enables the ones the chosen deployment needs (Compute Engine, "
        "Kubernetes Engine, IAM, ...). Enabling an API is free; using it may cost money.\n\n"
        "**Why.** Missing APIs are the most common reason an install fails halfway. Checking "
        "first means the cluster step will not fail for that reason.\n\n"
        "**Project ID** is the id (`my-project-123`), not the display name or number. "
        "**Services**: *Enable* turns on what is missing; *Only check* stops and tells you "
        "what to enable, for accounts that may not change the project."
    )
    SERVICE_CHOICES: ClassVar[list[tuple[str, str]]] = [
        ("enable", "Enable what is missing"),
        ("check", "Only check"),
    ]

    def compose_main(self) -> Any:
        yield Field(
            "Project ID",
            Input(placeholder="my-project-123", id="project", compact=True),
            id="field-project",
        )
        services = RadioSet(
            *(RadioButton(label, id=f"services-{key}") for key, label in self.SERVICE_CHOICES),
            id="services",
            compact=True,
        )
        yield Field("Google APIs", services, id="field-services")
        yield Field(
            "Session name",
            Input(placeholder="optional, e.g. first-kfp", id="name", compact=True),
            hint="A label for the session list; leave empty to use the session id.",
            id="field-name",
        )

    # -- fields --------------------------------------------------------------------
    def load_fields(self) -> None:
        self.query_one("#project", Input).value = str(self.choices.get("project") or "")
        self.query_one("#name", Input).value = str(self.choices.get("name") or self.session.name)
        policy = self.choices.get("services") or "enable"
        self.query_one(
            f"#services-{policy if policy in ('enable', 'check') else 'enable'}", RadioButton
        ).value = True
        if self.wizard.demo:
            self.query_one("#field-project", Field).set_hint(
                "Demo project on the built-in emulator."
            )
        else:
            self.detect_project()

    def validate_fields(self, show: bool = True) -> list[Field]:
        field = self.query_one("#field-project", Field)
        rule = check("validate_project_id", self.query_one("#project", Input).value.strip())
        if show or field.error:
            field.set_error(rule)
        return [field] if rule else []

    @on(Input.Changed, "#project")
    def _project_changed(self, event: Input.Changed) -> None:
        value = event.value.strip()
        if value == (self.choices.get("project") or ""):
            return
        self.choices["project"] = value
        self.query_one("#field-project", Field).set_error(check("validate_project_id", value))
        self.selection_changed()

    @on(Input.Changed, "#name")
    def _name_changed(self, event: Input.Changed) -> None:
        if event.value == (self.choices.get("name") or ""):
            return
        self.choices["name"] = event.value.strip()
        self.session.name = event.value.strip()
        self.label_changed()

    @on(RadioSet.Changed, "#services")
    def _services_changed(self, event: RadioSet.Changed) -> None:
        key = (event.pressed.id or "services-enable").removeprefix("services-")
        if key != self.choices.get("services"):
            self.choices["services"] = key
            self.selection_changed()

    # -- detection -----------------------------------------------------------------
    @work(
        thread=True,
        exclusive=True,
        group="gcp-lookup",
        exit_on_error=False,
        description="kfwizard: detecting the Google Cloud project",
    )
    def detect_project(self) -> None:
        """The environment and gcloud's files first (milliseconds); google.auth's own
        lookup only when they name no project, and only once the screen is up."""
        from kfwizard.gcp.auth import detect_project, google_may_know

        detected = detect_project(self.wizard.env, ask_google=False)
        if detected.project is None and google_may_know(self.wizard.env):
            self.app.call_from_thread(self._ask_google_soon)
            return
        self.app.call_from_thread(self._detected, detected)

    def _ask_google_soon(self) -> None:
        """Leave the slow lookup until the screen has been up for a moment: it imports
        google.auth and requests (about 250 ms of CPU, which would compete with the
        screen's first layout for the interpreter) and probes the metadata server,
        which exists only on Google Cloud. Until it answers the field has no hint, as
        before any lookup."""
        if self.is_attached:
            self.set_timer(GOOGLE_LOOKUP_DELAY, self._ask_google, name="ask-google")

    @work(
        thread=True,
        exclusive=True,
        group="gcp-lookup",
        exit_on_error=False,
        description="kfwizard: asking google.auth for the Google Cloud project",
    )
    def _ask_google(self) -> None:
        from kfwizard.gcp.auth import detect_project

        detected = detect_project(self.wizard.env)
        self.app.call_from_thread(self._detected, detected)

    def _detected(self, detected: Any) -> None:
        if not self.is_attached:
            return
        field = self.query_one("#field-project", Field)
        project = getattr(detected, "project", None)
        account = getattr(detected, "account", None)
        who = f"; account {account}" if account else ""
        if not project:
            field.set_hint(
                "No project found in gcloud or the environment: type its id "
                '("gcloud projects list" shows them).' + (f" Account {account}." if account else "")
            )
            return
        current = self.query_one("#project", Input)
        if not current.value.strip():
            current.value = project
            field.set_hint(f"Detected from {detected.source}{who}.")
        elif current.value.strip() == project:
            field.set_hint(f"Detected from {detected.source}{who}.")
        else:
            field.set_hint(f"{detected.source} says {project}{who}.")
