"""Counted nouns in kfwizard's sentences."""

from kfwizard.wording import clip, duration, kind_count, plural


def test_one_is_singular_and_every_other_count_plural():
    assert [plural(n, "object") for n in (0, 1, 2)] == ["0 objects", "1 object", "2 objects"]


def test_durations_under_a_second_are_not_counted_in_tenths():
    assert [duration(s) for s in (0.04, 0.96, 1.0, 3.64)] == [
        "under a second",
        "under a second",
        "1.0 s",
        "3.6 s",
    ]


def test_kinds_are_counted_in_english_and_keep_their_spelling():
    assert [kind_count(n, "Deployment") for n in (1, 14)] == ["1 Deployment", "14 Deployments"]
    assert kind_count(2, "PriorityClass") == "2 PriorityClasses"
    assert kind_count(3, "NetworkPolicy") == "3 NetworkPolicies"
    assert kind_count(2, "Gateway") == "2 Gateways"
    assert kind_count(2, "Ingress") == "2 Ingresses"
    assert kind_count(2, "Endpoints") == "2 Endpoints"
    assert kind_count(4, "CustomResourceDefinition") == "4 CustomResourceDefinitions"


def test_a_clipped_message_ends_at_a_word_and_says_it_was_cut():
    message = (
        "Instance 'gke-kubeflow-testing-default-pool-1a2b3c4d-x1y2' creation failed: The zone "
        "'projects/p/zones/us-central1-a' does not have enough resources available."
    )
    clipped = clip(message, 80)
    assert len(clipped) <= 80 and clipped.endswith("…")
    assert clipped == "Instance 'gke-kubeflow-testing-default-pool-1a2b3c4d-x1y2' creation failed…"
    assert clip("short\n  enough", 80) == "short enough"
    assert clip("x" * 100, 10) == "x" * 9 + "…"  # no space near the end: cut where it must
