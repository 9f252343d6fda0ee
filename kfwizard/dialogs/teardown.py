"""Teardown preview: what this session created, and what will be deleted.

Deleting is the one irreversible thing kfwizard does, so the dialog lists exactly what
goes: the Kubeflow objects this session applied, and the clusters only when the session
created them (also one it created and then moved away from); a cluster the user brought
is deleted only if they type its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, Static

from kfwizard.dialogs.frame import DialogBody, FramedDialog
from kfwizard.engine.cluster_inventory import earlier_clusters, remaining_cluster
from kfwizard.wording import plural

if TYPE_CHECKING:
    from kfwizard.session import Session


def preview_lines(session: Session) -> list[str]:
    """Plain sentences listing what the session created. After a teardown that stopped
    halfway, some of it is gone already: the lines say so rather than promise to delete
    (and lose the data of) what the stopped run deleted."""
    from kfwizard.engine.steps.teardown import teardown_unfinished

    inventory = session.inventory
    objects = inventory.get("objects") or []
    half = teardown_unfinished(session)
    lines = []
    if objects and session.status == "removed":
        # Torn down already: listing them (and their data "lost for good") again read
        # as if they were still there.
        lines.append(
            f"The {len(objects)} Kubernetes objects this session applied were deleted by "
            "its teardown."
        )
    elif objects:
        lines.append(
            f"{len(objects)} Kubernetes objects applied by this session ({_where(objects)})"
            + ("; the stopped teardown deleted some already" if half else "")
        )
    else:
        lines.append("No Kubernetes objects recorded by this session.")
    claims = [f"{pvc['namespace']}/{pvc['name']}" for pvc in session.inventory_pvcs()]
    if claims and session.status != "removed":
        lines.append(
            f"The data in {plural(len(claims), 'volume')} "
            f"({', '.join(claims)}) is lost for good: pipeline runs, artifacts and metadata"
            + (" (if the stopped teardown has not deleted it already)." if half else ".")
        )
    cluster = remaining_cluster(inventory)
    if cluster.get("name"):
        origin = (
            "created by this session"
            if cluster.get("created_by_session")
            else "not created by this session"
        )
        emulated = "; emulated, nothing billed" if session.demo else ""  # as the earlier ones
        lines.append(
            f"GKE cluster {cluster['name']} in {cluster.get('location', '?')} ({origin}{emulated})"
        )
    billed = "emulated, nothing billed" if session.demo else "still billed"
    for earlier in earlier_clusters(inventory):
        lines.append(
            f"GKE cluster {earlier['name']} in {earlier.get('location', '?')} (created by this "
            f"session, which then chose another; {billed})"
        )
    from kfwizard.kube.teardown import elsewhere_text, installs_elsewhere

    # Installs on clusters the session moved away from: the teardown does not reach
    # them (a teardown before this one did not either), so each is said to stay.
    for entry in installs_elsewhere(session):
        lines.append(
            elsewhere_text(
                session,
                entry,
                delete_cluster=False,
                remove_with='Ticking "Also delete clusters" below',
            )
        )
    services = inventory.get("services") or []
    if services:
        lines.append(
            f"{len(services)} Google APIs were enabled by this session; they stay enabled."
        )
    return lines


def nothing_left(session: Session) -> bool:
    """Torn down, with no cluster left to offer: a teardown would find nothing."""
    inventory = session.inventory
    return (
        session.status == "removed"
        and not remaining_cluster(inventory)
        and not earlier_clusters(inventory)
    )


def nothing_to_tear_down(session: Session) -> bool:
    """A teardown would find nothing: torn down already (:func:`nothing_left`), or the
    session has not created anything yet: no objects applied, no cluster recorded."""
    inventory = session.inventory
    return nothing_left(session) or (
        not inventory.get("objects")
        and not remaining_cluster(inventory)
        and not earlier_clusters(inventory)
    )


def nothing_to_tear_down_text(session: Session) -> str:
    """Why a teardown has nothing to do, for the notice ``t`` and the palette show."""
    if not nothing_left(session):
        return "This session has not created anything yet: no objects, no cluster."
    deleted = (session.inventory.get("cluster") or {}).get("deleted")
    return "Everything this session created is gone already" + (
        ", its cluster included." if deleted else "."
    )


def _where(objects: list[dict[str, Any]]) -> str:
    """ "cluster-wide and in namespace kubeflow": where the objects are, in words."""
    namespaces = sorted({str(o["namespace"]) for o in objects if o.get("namespace")})
    places = ["cluster-wide"] if any(not o.get("namespace") for o in objects) else []
    if namespaces:
        noun = "namespace" if len(namespaces) == 1 else "namespaces"
        places.append(f"in {noun} {', '.join(namespaces)}")
    return " and ".join(places)


class TeardownDialog(FramedDialog[dict[str, Any] | None]):
    """Dismisses with {"delete_cluster": bool, "confirm_name": str | None} or None.

    The preview scrolls; the cluster box, the name to type and the buttons stay below
    it, in sight, however long the preview gets (two clusters and an install left on
    one of them did not fit 80x24)."""

    DEFAULT_CSS = """
    TeardownDialog {
        & > Vertical {
            width: 76;
            border: thick $error;
        }
        & Horizontal.teardown-item {
            height: auto;
            align-horizontal: left;
        }
        & .teardown-dot {
            width: 2;
        }
        & .teardown-text {
            width: 1fr;
        }
        & #teardown-typed-label {
            color: $text-muted;
        }
        & #teardown-buttons {
            margin-top: 1;
        }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        cluster = remaining_cluster(session.inventory)
        self.cluster_name: str | None = cluster.get("name")
        self.cluster_ours = bool(cluster.get("created_by_session"))
        self.earlier_names = [c["name"] for c in earlier_clusters(session.inventory)]
        """Clusters the session created and moved away from: deleted with the cluster."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                f"Tear down session {self.session.display_name()}?",
                id="teardown-title",
                classes="dialog-title",
            )
            with DialogBody(id="teardown-preview"):
                for line in preview_lines(self.session):
                    # The dot in a column of its own: wrapped lines start under the text.
                    with Horizontal(classes="teardown-item"):
                        yield Label("•", classes="teardown-dot")
                        yield Static(Content(line), classes="teardown-text")
            with Vertical(classes="dialog-controls"):
                names = [self.cluster_name] if self.cluster_name else []
                names += self.earlier_names
                if names:
                    yield Checkbox(
                        f"Also delete cluster{'s' if len(names) > 1 else ''} {', '.join(names)}",
                        value=self.cluster_ours or not self.cluster_name,
                        id="delete-cluster",
                        compact=True,
                    )
                    if self._adopted():
                        own = ", ".join(self.earlier_names)
                        also = f" ({own} goes without it)" if own else ""
                        yield Label(
                            f"{self.cluster_name} was not created by the session: type its "
                            f"name to delete it{also}.",
                            id="teardown-typed-label",
                        )
                        yield Input(
                            placeholder=self.cluster_name or "", id="teardown-typed", compact=True
                        )
                with Horizontal(id="teardown-buttons"):
                    yield Button("Cancel", id="no", compact=True)
                    yield Button("Delete", id="yes", variant="error", compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        self.query_one("#no", Button).focus()
        self._update()

    def _adopted(self) -> bool:
        """The current cluster is one the session adopted: deleted only by its name."""
        return bool(self.cluster_name) and not self.cluster_ours

    def _typed(self) -> str:
        return self.query_one("#teardown-typed", Input).value.strip() if self._adopted() else ""

    @on(Checkbox.Changed)
    @on(Input.Changed)
    def _update(self) -> None:
        allowed = True
        if self._adopted() and self._wants_cluster() and not self.earlier_names:
            # Only the adopted cluster is on offer: the box means it, so its name is due.
            allowed = self._typed() == self.cluster_name
        self.query_one("#yes", Button).disabled = not allowed

    def _wants_cluster(self) -> bool:
        if not (self.cluster_name or self.earlier_names):
            return False
        return self.query_one("#delete-cluster", Checkbox).value

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        """The adopted cluster's name goes along only when typed right; without it the
        teardown keeps that cluster and deletes the session's own."""
        typed = self._typed()
        confirm = typed if self._wants_cluster() and typed == self.cluster_name else None
        self.dismiss({"delete_cluster": self._wants_cluster(), "confirm_name": confirm})

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
