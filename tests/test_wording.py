"""Counted nouns in kfwizard's sentences."""

from kfwizard.wording import plural


def test_one_is_singular_and_every_other_count_plural():
    assert [plural(n, "object") for n in (0, 1, 2)] == ["0 objects", "1 object", "2 objects"]
