"""GKE regions and zones known to kfwizard (data), used to check a location exists.

The list covers the public Google Cloud regions as of 2026; a location missing here is
refused with a message that lists the nearest matches, and the user can still pick an
existing cluster anywhere.
"""

from __future__ import annotations

import difflib

# region -> zone suffixes
_REGIONS: dict[str, str] = {
    "africa-south1": "abc",
    "asia-east1": "abc",
    "asia-east2": "abc",
    "asia-northeast1": "abc",
    "asia-northeast2": "abc",
    "asia-northeast3": "abc",
    "asia-south1": "abc",
    "asia-south2": "abc",
    "asia-southeast1": "abc",
    "asia-southeast2": "abc",
    "australia-southeast1": "abc",
    "australia-southeast2": "abc",
    "europe-central2": "abc",
    "europe-north1": "abc",
    "europe-southwest1": "abc",
    "europe-west1": "bcd",
    "europe-west2": "abc",
    "europe-west3": "abc",
    "europe-west4": "abc",
    "europe-west6": "abc",
    "europe-west8": "abc",
    "europe-west9": "abc",
    "europe-west10": "abc",
    "europe-west12": "abc",
    "me-central1": "abc",
    "me-central2": "abc",
    "me-west1": "abc",
    "northamerica-northeast1": "abc",
    "northamerica-northeast2": "abc",
    "southamerica-east1": "abc",
    "southamerica-west1": "abc",
    "us-central1": "abcf",
    "us-east1": "bcd",
    "us-east4": "abc",
    "us-east5": "abc",
    "us-south1": "abc",
    "us-west1": "abc",
    "us-west2": "abc",
    "us-west3": "abc",
    "us-west4": "abc",
}

REGIONS: tuple[str, ...] = tuple(sorted(_REGIONS))
ZONES: dict[str, str] = {
    f"{region}-{suffix}": region for region, suffixes in _REGIONS.items() for suffix in suffixes
}


def is_zone(location: str) -> bool:
    return location in ZONES


def is_region(location: str) -> bool:
    return location in _REGIONS


def location_exists(location: str) -> bool:
    return is_zone(location) or is_region(location)


def region_of(location: str) -> str:
    """The region of a zone, or the location itself when it is a region."""
    return ZONES.get(location, location)


def zones_in(region: str) -> list[str]:
    return [f"{region}-{s}" for s in _REGIONS.get(region, "")]


def suggest(location: str, limit: int = 3) -> list[str]:
    """Close spellings of a location, for the error message."""
    return difflib.get_close_matches(location, [*ZONES, *REGIONS], n=limit, cutoff=0.6)
