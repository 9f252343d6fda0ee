"""Counted nouns in kfwizard's sentences."""

from kfwizard.wording import duration, plural


def test_one_is_singular_and_every_other_count_plural():
    assert [plural(n, "object") for n in (0, 1, 2)] == ["0 objects", "1 object", "2 objects"]


def test_durations_under_a_second_are_not_counted_in_tenths():
    assert [duration(s) for s in (0.04, 0.96, 1.0, 3.64)] == [
        "under a second",
        "under a second",
        "1.0 s",
        "3.6 s",
    ]
