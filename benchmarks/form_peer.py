"""The Project screen in plain Textual: its widget tree and stylesheets, no kfwizard code.

``bench_startup.py`` runs this as a peer of the wizard's first screen, in the same way
as the one-Label app (a fresh process, headless, until the first ``pilot.pause()``
finds the app idle), to show what Textual itself costs for this form. The tree has
the same 38 nodes: header, intro, the first-run notice, the hidden step list, three
labelled fields (two inputs, a radio set of two), the commands box, the log beside the
form, the navigation line and the one-line key bar. It reads the app's own two stylesheets from
``kfwizard/`` and repeats the rules of kfwizard's widgets (Field, Notice, CommandsBox,
LogPane) in plain selectors. Run from the repository root.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Log, RadioButton, RadioSet, Static

STYLES = Path("kfwizard")

WIDGET_CSS = """
.field { height: auto; }
.field > .row { height: auto; }
.field .label { width: 20; padding: 0 1 0 0; text-style: bold; }
.field .msg { padding: 0 0 0 20; color: $text-muted; height: auto; }
.notice {
    height: auto; border: round $primary; border-title-color: $text-primary;
    background: $primary-muted; padding: 0 1; margin: 0 0 1 0;
}
.notice > Static { width: 1fr; height: auto; }
.notice > Button { margin-left: 1; }
#commands {
    height: auto; max-height: 12; border: round $border-blurred; padding: 0 1;
    border-title-color: $text-muted; border-subtitle-color: $text-muted; background: $surface;
}
#log {
    height: 1fr; min-height: 5; border: round $border-blurred; padding: 0 1;
    border-title-color: $text-muted; border-subtitle-color: $text-muted;
    scrollbar-size-vertical: 1;
}
#bridge { display: none; }
#steps { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
#keys { dock: bottom; height: 1; background: $footer-background; }
"""

SERVICES = ("Enable what is missing", "Only check")
KEYS = " ^n Next  esc Back  ^y Copy cmds  ^q Quit  f1 Help " + " " * 43 + "▏ ^p palette "
"""The key line: one widget drawing the keys as text, as kfwizard's KeyBar does."""
NAME_HINT = "A label for the session list; leave empty to use the session id."


class WizardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+y", "copy", "Copy cmds"),
    ]


class ProjectScreen(WizardScreen):
    AUTO_FOCUS = "Input"  # the first field, as in the wizard

    def compose(self) -> ComposeResult:
        yield Widget(id="bridge")
        with Horizontal(id="header"):
            yield Label("kfwizard", id="app-title")
            yield Static(
                "● Project › ○ Cluster › ○ Deployment mode › ○ Install › ○ Verify", id="steps"
            )
        with Horizontal(id="columns"):
            with VerticalScroll(id="main"):
                yield Static(
                    "[b]Step 1 of 5 · Project[/b]  session 20261129-0445-54df", id="screen-title"
                )
                yield Static(
                    "Choose the Google Cloud project to install into. kfwizard checks your "
                    "credentials and the APIs Kubeflow needs, and can enable the missing ones.",
                    id="intro",
                )
                with Horizontal(classes="notice") as notice:
                    notice.border_title = "New here?"
                    yield Static(
                        "Every choice and result is saved as a session in "
                        "$KFWIZARD_HOME/state/sessions; quit any time and `kfwizard resume` "
                        "picks up where you stopped."
                    )
                    yield Button("Got it", compact=True)
                step_list = Static("", id="step-list")
                step_list.display = False
                yield step_list
                radios = [RadioButton(label, value=not n) for n, label in enumerate(SERVICES)]
                fields: list[tuple[str, Widget, str]] = [
                    ("Project ID", Input(placeholder="my-project-123", compact=True), ""),
                    ("Google APIs", RadioSet(*radios, id="services", compact=True), ""),
                    (
                        "Session name",
                        Input(placeholder="optional, e.g. first-kfp", compact=True),
                        NAME_HINT,
                    ),
                ]
                for label, control, hint in fields:
                    with Vertical(classes="field"):
                        with Horizontal(classes="row"):
                            yield Label(label, classes="label")
                            yield control
                        message = Static(hint, classes="msg")
                        message.display = bool(hint)
                        yield message
                commands = Static(
                    "$ gcloud auth application-default login\n"
                    "$ gcloud config set project PROJECT_ID\n"
                    "$ gcloud services list --enabled --project=PROJECT_ID\n"
                    "$ gcloud services enable compute.googleapis.com container.googleapis.com "
                    "--project=PROJECT_ID",
                    id="commands",
                )
                commands.border_title = "Equivalent commands"
                commands.border_subtitle = "ctrl+y copies"
                yield commands
            with Vertical(id="side"):
                log = Log(id="log")
                log.border_title = "Project log"
                log.border_subtitle = "following · f pause · s save"
                yield log
        with Horizontal(id="nav"):
            yield Button("← Back", id="back", compact=True)
            yield Static("1 field needs attention", id="nav-status")
            yield Button("Check project", id="next", variant="primary", compact=True)
        yield Static(KEYS, id="keys")

    def on_mount(self) -> None:
        self.query_one(Log).write_line("Nothing has run on this step yet.")


class FormPeer(App[None]):
    CSS = "\n".join(
        [
            (STYLES / "app.tcss").read_text(encoding="utf-8"),
            (STYLES / "screens" / "project.tcss").read_text(encoding="utf-8"),
            WIDGET_CSS,
        ]
    )
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def get_default_screen(self) -> Screen[None]:
        return ProjectScreen(classes="-log-empty -wide")


async def main() -> None:
    app = FormPeer()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        print("ready", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
