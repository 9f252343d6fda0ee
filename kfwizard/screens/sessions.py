"""The session picker: resume where an install stopped, start anew, or clean up.

Most people who come back to kfwizard come back because something broke. The picker
puts the latest session first, says which step it reached and how it ended, shows the
last problem of the highlighted session, and resumes it with Enter.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, DataTable, Label, Static

from kfwizard.engine.phases import PHASE_TITLES
from kfwizard.screens.styled_once import StyledOnceScreen
from kfwizard.session_list import before_verify, shown_status, stamp
from kfwizard.widgets.key_bar import KeyBar
from kfwizard.widgets.notice import Notice
from kfwizard.widgets.step_indicator import session_phase_states, teardown_left

HERE = Path(__file__).parent
"""Stylesheets are found from here, also for subclasses defined elsewhere."""

if TYPE_CHECKING:
    from kfwizard.app import WizardApp
    from kfwizard.session import Session

STATUS_TEXT: dict[str, tuple[str, str]] = {
    "new": ("not started", "$text-muted"),
    "in progress": ("in progress", "$foreground"),
    "running": ("running", "$text-accent"),
    "done": ("✓ done", "$text-success"),
    "failed": ("✗ failed", "$text-error"),
    "interrupted": ("! interrupted", "$text-warning"),
    "removed": ("removed", "$text-muted"),
}


def status_text(session: Session, lock_path: Path | None = None) -> tuple[str, str]:
    """The Status column: a run that finished but stopped before Verify is not "done"
    (``kfwizard run --until cluster`` leaves such sessions, and so does quitting
    between steps); with the session's ``lock_path``, a "running" one whose process is
    gone is "interrupted". Verify counts as done by the step bar's rule, so a session a
    teardown undid is never "✓ done"."""
    verified = session_phase_states(session)["verify"] == "done"
    status = before_verify(session.status, verified)
    if lock_path is not None:
        status = shown_status(status, lock_path)
    return STATUS_TEXT.get(status, (status, "$foreground"))


def step_text(session: Session, resume_phase: str) -> str:
    """The Step column: where the session resumes (``resume_phase``), or "Teardown"
    when its latest run was one. A torn-down session still resumes at Verify, but
    "Verify · removed" or "Verify · ✗ failed" would read as a verification that went
    away or failed, not as the teardown it was."""
    return "Teardown" if teardown_left(session) else PHASE_TITLES[resume_phase]


def name_text(session: Session) -> str:
    """The Name column: the name given, or a dash (the ID column has the id)."""
    return str(session.name or session.selections.get("name") or "—")


def human_ago(iso: str, now: float) -> str:
    """``just now``, ``3 min ago``, ``2 h ago``, ``yesterday``, ``5 days ago`` or a date."""
    try:
        then = datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return "unknown"
    seconds = max(0.0, now - then)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d")


def last_problem(session: Session, process_gone: bool = False) -> str:
    """The latest failed or interrupted step's cause, for the detail line; with
    ``process_gone`` (a "running" session nobody runs), the step that was running."""
    if process_gone:
        running = [step_id for step_id, rec in session.steps.items() if rec.state == "running"]
        if running:
            return (
                f"{running[-1]}: the kfwizard process running it ended (a closed terminal or "
                "a kill); Resume checks what it did and carries on"
            )
    for step_id, rec in reversed(list(session.steps.items())):
        if rec.state in ("failed", "interrupted") and rec.cause:
            return f"{step_id}: {rec.cause}"
    return ""


class SessionsScreen(StyledOnceScreen):
    """A table of sessions with New / Resume / Delete."""

    CSS_PATH = HERE / "sessions.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "resume", "Resume", show=True, priority=False),
        Binding("n", "new", "New session"),
        Binding("d,delete", "delete", "Delete"),
    ]

    HELP = (
        "Each **session** is one install: what you chose, what each step did and what it "
        "created. Pick one and press **Enter** to carry on where it stopped (a failed step "
        "is checked and run again; finished steps are verified and skipped). **New** starts "
        "a fresh install. **Delete** forgets a session's record; it does not touch anything "
        "in Google Cloud (use Teardown on the Verify step for that)."
    )

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[Session] = []
        self.ready = False
        """True once the table is filled (tests wait for it)."""

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Label("kfwizard", id="app-title")
            yield Label("Sessions", id="sessions-heading")
        if self.wizard.demo:
            yield Static(self.wizard.demo_banner(), id="demo-banner")
        with Vertical(id="sessions-body"):
            yield Static(
                "Resume an install where it stopped (Enter), or start a new one (n).",
                id="sessions-intro",
            )
            yield Vertical(id="sessions-notices")
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="sessions-detail")
            with Horizontal(id="sessions-buttons"):
                yield Button("Resume", id="resume", variant="primary", compact=True)
                yield Button("New session", id="new", compact=True)
                yield Button("Delete…", id="delete", variant="error", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        # The table exists by now (Textual mounts descendants before the screen's
        # Mount): filled here, it is laid out and painted with the screen, once.
        self._setup()

    def _setup(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Name", key="name")
        table.add_column("Step", key="step")
        table.add_column("Status", key="status", width=13)
        table.add_column("Updated", key="updated")
        table.add_column("ID", key="id")
        self.reload()
        self._show_notices()
        table.focus()
        self.ready = True

    def _show_notices(self) -> None:
        box = self.query_one("#sessions-notices", Vertical)
        if self.wizard.startup_problem:
            box.mount(
                Notice(
                    self.wizard.startup_problem, title="Could not open that session", warning=True
                )
            )
            self.wizard.startup_problem = None
        for problem in self.wizard.store.set_aside:
            box.mount(Notice(problem.message(), title="A session file was set aside", warning=True))
        self.wizard.store.set_aside.clear()
        shown: set[Path] = set()
        for newer in self.wizard.store.newer:
            if newer.path not in shown:
                shown.add(newer.path)
                box.mount(Notice(newer.message(), title="Left for a newer kfwizard", warning=True))
        self.wizard.store.newer.clear()
        intro = self.wizard.first_run_notice()
        if intro is not None:
            box.mount(intro)

    def reload(self) -> None:
        """Re-read the sessions folder and refill the table (newest first)."""
        table = self.query_one(DataTable)
        self.sessions = self.wizard.store.list()
        now = self.wizard.clock()
        table.clear()
        for session in self.sessions:
            status, colour = status_text(session, self.wizard.store.lock(session.id).path)
            table.add_row(
                name_text(session),
                step_text(session, self.wizard.resume_phase(session)),
                Content.from_markup(f"[{colour}]$s[/]", s=status),
                human_ago(session.updated_at, now),
                session.id,
                key=session.id,
            )
        empty = not self.sessions
        self.query_one("#resume", Button).disabled = empty
        self.query_one("#delete", Button).disabled = empty
        table.display = not empty
        if empty:
            self.query_one("#sessions-detail", Static).update(
                "No sessions yet. Press n (or New session) to start one."
            )
        self._update_detail()

    def selected(self) -> Session | None:
        table = self.query_one(DataTable)
        if not self.sessions or table.cursor_row < 0 or table.cursor_row >= len(self.sessions):
            return None
        return self.sessions[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _update_detail(self, event: Any = None) -> None:
        session = self.selected()
        if session is None:
            return
        lock = self.wizard.store.lock(session.id).path
        gone = shown_status(session.status, lock) != session.status  # "running", nobody runs it
        problem = last_problem(session, process_gone=gone)
        parts = [f"Created {stamp(session.created_at)}"]
        if session.demo:
            parts.append("demo")
        project = session.selections.get("project")
        if project:
            parts.append(f"project {project}")
        text = Content(" · ".join(parts))
        if problem:
            text = Content.assemble(
                text, "\n", Content.from_markup("[$text-error]Last problem:[/] $p", p=problem)
            )
        self.query_one("#sessions-detail", Static).update(text)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_resume()

    @on(Button.Pressed, "#resume")
    def action_resume(self) -> None:
        session = self.selected()
        if session is not None:
            self.wizard.open_session(session.id)

    @on(Button.Pressed, "#new")
    def action_new(self) -> None:
        self.wizard.start_new_session()

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        session = self.selected()
        if session is None:
            return
        from kfwizard.dialogs.confirm import ConfirmDialog
        from kfwizard.engine.cluster_inventory import clusters_to_delete

        warning = ""
        created = [c for c in clusters_to_delete(session.inventory) if c.get("created_by_session")]
        if created or session.inventory.get("objects"):
            warning = (
                "\n\nThis session created resources that still exist as far as it knows. "
                "Deleting the session only forgets them: run Teardown first to remove them."
            )

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(session)

        self.app.push_screen(
            ConfirmDialog(
                f"Delete session {session.display_name()}?",
                f"The record of session {session.id} will be removed. Nothing in Google Cloud "
                f"or on the cluster is changed.{warning}",
                yes="Delete",
                danger=True,
            ),
            answered,
        )

    def _delete(self, session: Session) -> None:
        from kfwizard.session import SessionError

        try:
            self.wizard.store.delete(session.id)
        except SessionError as exc:
            self.notify(str(exc), title="Not deleted", severity="error", timeout=10)
            return
        self.notify(f"Session {session.display_name()} deleted.", title="Deleted")
        self.reload()
        self.query_one(DataTable).focus()

    def help_text(self) -> tuple[str, str, list[tuple[str, str]]]:
        keys = [
            ("enter", "resume the highlighted session"),
            ("n", "start a new session"),
            ("d / delete", "delete the highlighted session's record (asks first)"),
            ("up / down", "move in the list"),
            ("ctrl+p", "command palette"),
            ("ctrl+q", "quit"),
        ]
        return "Sessions", self.HELP, keys
