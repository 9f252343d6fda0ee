"""Autosave: saves when the fingerprint moves, not otherwise; a failed save is retried."""

from __future__ import annotations

import time

from kfwizard.emulator.autosave import Autosave


class Recorder:
    def __init__(self) -> None:
        self.state = 0
        self.saved: list[int] = []
        self.fail = False

    def save(self) -> None:
        if self.fail:
            raise OSError("No space left on device")
        self.saved.append(self.state)


def test_saves_only_when_the_state_moved() -> None:
    rec = Recorder()
    saver = Autosave(rec.save, lambda: rec.state)
    saver.mark_saved()  # as start() does, without the thread
    assert not saver.check()
    rec.state = 1
    assert saver.check() and rec.saved == [1]
    assert not saver.check()  # nothing new
    rec.state = 2
    rec.fail = True
    assert not saver.check() and isinstance(saver.last_error, OSError)
    rec.fail = False
    assert saver.check() and rec.saved == [1, 2]  # the failed save was tried again
    assert saver.last_error is None and saver.saves == 2


def test_the_thread_saves_a_change_within_its_interval() -> None:
    rec = Recorder()
    saver = Autosave(rec.save, lambda: rec.state, interval=0.01)
    saver.start()
    try:
        rec.state = 5
        deadline = time.monotonic() + 5
        while rec.saved != [5]:
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        saver.stop()
    rec.state = 6
    time.sleep(0.05)
    assert rec.saved == [5]  # stopped: no more saves
