"""When the garbage collector may walk the app's long-lived objects.

A full collection walks every tracked object, and with the event loop stopped. Twice
in the app's life that walk finds nothing to free yet costs the most:

- **Start-up.** Modules, classes and their tables live as long as the process, and
  building the first screen allocates enough to set off a full collection that walks
  them all: 17-25 ms of the half second to the first interactive screen. They are
  frozen once, when the app is built (:func:`freeze_imports`).
- **Runs.** A step that logs a lot sets off full collections that walked every object
  of the app: 70-85 ms pauses, the longest of a 100,000-line run. While a run is open,
  everything that existed before it is frozen (:func:`freeze_for_run`).

When the last open run ends, everything is unfrozen, the start-up freeze included,
and the collector works as usual: what the run and earlier screens left behind is
collected at the next full collection.
"""

from __future__ import annotations

import gc

_imports_frozen = False
_open_runs = 0


def freeze_imports() -> None:
    """Keep what exists now out of full collections; once per process, so that a
    second app (tests build many) does not freeze the first one's garbage."""
    global _imports_frozen
    if not _imports_frozen:
        _imports_frozen = True
        gc.freeze()


def freeze_for_run() -> None:
    """Keep the objects alive now out of full collections until :func:`thaw_after_run`."""
    global _open_runs
    if _open_runs == 0:
        gc.freeze()
    _open_runs += 1


def thaw_after_run() -> None:
    """The run is over: every frozen object is collectable again (when no other run
    holds the freeze)."""
    global _open_runs
    if _open_runs == 0:
        return
    _open_runs -= 1
    if _open_runs == 0:
        gc.unfreeze()
