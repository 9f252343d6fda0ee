"""Sizing against a mode's needs, and the cost estimate with its date and source."""

from __future__ import annotations

import json

from kfwizard.gcp import clusters, machine_types, sizing


def test_default_pool_fits_kfp_without_warnings() -> None:
    size = sizing.size_node_pool("n1-standard-2", 3, "kfp-standalone")
    assert size.known and size.fits
    assert size.vcpus == 6 and size.memory_gib == 22.5
    cpu_m, mem_mib = machine_types.allocatable(machine_types.MACHINE_TYPES["n1-standard-2"])
    assert size.allocatable_cpu_m == 3 * cpu_m
    assert size.allocatable_mem_mib == 3 * mem_mib
    assert size.warnings == []
    json.dumps(size.as_dict())  # what ctx.detail sends must be JSON-able


def test_small_pool_warns_below_three_e2_standard_2() -> None:
    size = sizing.size_node_pool("e2-standard-2", 1, "kfp-standalone")
    assert size.fits  # KFP alone fits on one node...
    assert any("smaller than the recommended 3 x e2-standard-2" in w for w in size.warnings)


def test_too_small_for_full_kubeflow() -> None:
    size = sizing.size_node_pool("e2-medium", 2, "kubeflow")
    assert size.fits is False
    assert any("pods would stay Pending" in w for w in size.warnings)
    assert size.need_cpu_m >= 4400  # README minimum, or the manifests' own sums


def test_unknown_machine_type_cannot_be_sized() -> None:
    size = sizing.size_node_pool("c3-standard-8", 3, "kfp-standalone")
    assert not size.known and size.fits is None
    assert "no size data" in size.lines()[0]
    assert sizing.cost_summary("c3-standard-8", 3) is None


def test_cost_has_date_and_source() -> None:
    cost = sizing.cost_summary("n1-standard-2", 3)
    assert cost is not None
    assert cost["hourly_usd"] == round(0.095 * 3 + machine_types.GKE_CLUSTER_FEE_PER_HOUR, 4)
    assert cost["monthly_usd"] == round(cost["hourly_usd"] * 730, 2)
    assert cost["as_of"] == machine_types.PRICES_AS_OF
    assert cost["source"] == machine_types.PRICES_SOURCE
    line = sizing.cost_line(cost)
    assert "$0.39/hour" in line and machine_types.PRICES_AS_OF in line


def test_regional_pool_counts_every_zone() -> None:
    assert clusters.total_nodes("us-central1-a", 3) == 3
    assert clusters.total_nodes("us-central1", 1) == 3
    assert clusters.region_spread("us-central1-a", 3) == ""
    assert clusters.region_spread("us-central1", 1) == (
        "us-central1 is a region: 1 node in each of its 3 zones, 3 in all"
    )


def test_version_resolution() -> None:
    valid = ["1.33.2-gke.100", "1.34.1-gke.200", "1.32.9-gke.5", "1.34.0-gke.900"]
    assert clusters.pick_version("latest", valid, "1.33.2-gke.100") == "1.34.1-gke.200"
    assert clusters.pick_version("-", valid, "1.33.2-gke.100") == "1.33.2-gke.100"
    assert clusters.pick_version("1.34", valid, "x") == "1.34.1-gke.200"
    assert clusters.pick_version("1.32.9-gke.5", valid, "x") == "1.32.9-gke.5"
    assert clusters.pick_version("1.99", valid, "x") == "1.99"


def test_cluster_body_is_what_gcloud_sends() -> None:
    body = clusters.cluster_body(
        name="kubeflow-testing",
        machine_type="n1-standard-2",
        nodes=3,
        scopes=["compute-rw", "gke-default", "storage-rw"],
        version="1.34.1-gke.200",
    )
    pool = body["node_pools"][0]
    assert pool["name"] == "default-pool" and pool["initial_node_count"] == 3
    assert pool["config"]["machine_type"] == "n1-standard-2"
    assert "https://www.googleapis.com/auth/compute" in pool["config"]["oauth_scopes"]
    assert body["initial_cluster_version"] == "1.34.1-gke.200"
    from google.cloud import container_v1

    container_v1.Cluster(body)  # the client accepts it as is
