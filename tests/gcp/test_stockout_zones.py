"""The zones a stockout's advice sends the user to: never one that just ran out."""

from __future__ import annotations

from kfwizard.gcp import explain


def text_for(zone: str) -> str:
    return (
        "[GCE_STOCKOUT]: Instance 'gke-x' creation failed: The zone "
        f"'projects/p/zones/{zone}' does not have enough resources available."
    )


def test_a_regional_stockout_leaves_out_the_zone_the_message_names() -> None:
    facts = explain.Facts(project="p", location="us-central1", machine_type="n1-standard-2")
    failed = explain.explain_operation_error(text_for("us-central1-b"), facts)
    assert "(us-central1-a, us-central1-c, us-central1-f)" in failed.action


def test_zones_that_ran_out_before_are_not_suggested_again() -> None:
    facts = explain.Facts(
        location="us-central1-b", machine_type="n1-standard-2", stocked_out=("us-central1-a",)
    )
    failed = explain.explain_operation_error(text_for("us-central1-b"), facts)
    assert "another zone in the region (us-central1-c, us-central1-f)" in failed.action


def test_with_every_zone_tried_only_a_smaller_machine_is_left() -> None:
    tried = ("us-central1-a", "us-central1-c", "us-central1-f")
    facts = explain.Facts(location="us-central1-b", machine_type="n1-standard-2", stocked_out=tried)
    failed = explain.explain_operation_error(text_for("us-central1-b"), facts)
    assert "another zone" not in failed.action
    assert failed.action.startswith("try a smaller machine type such as n1-standard-1")
