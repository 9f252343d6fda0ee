"""Errors that carry what the user needs: the cause, the next action, an exit code."""

from __future__ import annotations


class KfwizardError(Exception):
    """Base class; ``exit_code`` follows the command-line contract (0/1/2/130)."""

    exit_code = 1

    def __init__(
        self, cause: str, action: str | None = None, details: tuple[str, ...] = ()
    ) -> None:
        super().__init__(cause)
        self.cause = cause
        self.action = action
        self.details = details

    def message(self) -> str:
        """The cause, then the next action, as one line a user reads as two sentences
        (a cause such as "--yes: is required ..." has no full stop of its own)."""
        if not self.action:
            return self.cause
        cause = self.cause.rstrip()
        stop = "" if cause.endswith((".", "!", "?", ":")) else "."
        return f"{cause}{stop} Next: {self.action}"


class BadInput(KfwizardError):
    """Input that breaks a rule; names the field. Nothing was touched."""

    exit_code = 2

    def __init__(
        self, field: str, rule: str, value: object = None, action: str | None = None
    ) -> None:
        shown = "" if value is None else f" (got {_short(value)})"
        super().__init__(f"{field}: {rule}{shown}", action=action or f"fix {field} and run again")
        self.field = field
        self.rule = rule


class StepFailed(KfwizardError):
    """A step could not finish; the session records cause and action and stays resumable."""

    exit_code = 1


class Refused(KfwizardError):
    """The plan is impossible (for example a version that cannot run on this cluster).

    Raised before anything is touched; exit code 2 like other bad input.
    """

    exit_code = 2


class Cancelled(KfwizardError):
    """The user asked to stop. The session is left ``interrupted`` and resumable."""

    exit_code = 130

    def __init__(self, cause: str = "Stopped at your request.", *, aftermath: str = "") -> None:
        super().__init__(cause, action='resume with "kfwizard run --session ID" or in the wizard')
        self.aftermath = aftermath
        """What goes on without kfwizard after the stop (GKE finishing a create it
        started), added to whatever cause the stop is given."""


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
