"""GKE versions the emulator offers: ``serverConfig`` data and version resolution.

Shaped like a real ``getServerConfig`` answer from late 2025: a handful of valid master
versions across three minors, release channels (RAPID newest, STABLE oldest), REGULAR's
default as the default cluster version. "latest" means the newest valid master version,
"-" or nothing the default, and a prefix such as "1.32" the newest version it matches;
anything else is refused the way GKE refuses it.
"""

from __future__ import annotations

from kfwizard.emulator.http import ApiError

VALID_MASTER_VERSIONS: tuple[str, ...] = (
    "1.34.1-gke.1431000",
    "1.34.0-gke.2201000",
    "1.33.5-gke.1200000",
    "1.33.4-gke.1350000",
    "1.32.9-gke.1108000",
    "1.32.8-gke.1134000",
    "1.31.13-gke.1023000",
)
"""Newest first, as GKE lists them."""

VALID_NODE_VERSIONS: tuple[str, ...] = (
    *VALID_MASTER_VERSIONS,
    "1.31.12-gke.1265000",
    "1.30.14-gke.1210000",
)

DEFAULT_VERSION = "1.33.5-gke.1200000"

CHANNELS: dict[str, dict[str, object]] = {
    "RAPID": {
        "default": "1.34.1-gke.1431000",
        "valid": ("1.34.1-gke.1431000", "1.34.0-gke.2201000", "1.33.5-gke.1200000"),
    },
    "REGULAR": {
        "default": "1.33.5-gke.1200000",
        "valid": ("1.33.5-gke.1200000", "1.33.4-gke.1350000", "1.32.9-gke.1108000"),
    },
    "STABLE": {
        "default": "1.32.9-gke.1108000",
        "valid": ("1.32.9-gke.1108000", "1.32.8-gke.1134000", "1.31.13-gke.1023000"),
    },
}

IMAGE_TYPES: tuple[str, ...] = ("COS_CONTAINERD", "UBUNTU_CONTAINERD", "WINDOWS_LTSC_CONTAINERD")


def server_config(int_enums: bool) -> dict[str, object]:
    """The ``ServerConfig`` JSON (same for every location in this emulator)."""
    from google.cloud import container_v1

    from kfwizard.emulator.wire import message_dict

    config = container_v1.ServerConfig(
        default_cluster_version=DEFAULT_VERSION,
        valid_node_versions=list(VALID_NODE_VERSIONS),
        default_image_type="COS_CONTAINERD",
        valid_image_types=list(IMAGE_TYPES),
        valid_master_versions=list(VALID_MASTER_VERSIONS),
        channels=[
            container_v1.ServerConfig.ReleaseChannelConfig(
                channel=getattr(container_v1.ReleaseChannel.Channel, name),
                default_version=str(data["default"]),
                valid_versions=list(data["valid"]),  # type: ignore[call-overload]
            )
            for name, data in CHANNELS.items()
        ],
    )
    return message_dict(config, int_enums=int_enums)


def resolve(requested: str | None, channel: str | None = None) -> str:
    """The concrete master version for a create request's ``initialClusterVersion``."""
    wanted = (requested or "").strip()
    if channel in CHANNELS and wanted in ("", "-"):
        return str(CHANNELS[channel]["default"])
    if wanted in ("", "-"):
        return DEFAULT_VERSION
    if wanted == "latest":
        return VALID_MASTER_VERSIONS[0]
    if wanted in VALID_MASTER_VERSIONS:
        return wanted
    for version in VALID_MASTER_VERSIONS:  # newest first, so the first match wins
        if version.startswith(wanted + ".") or version.startswith(wanted + "-"):
            return version
    raise ApiError(400, f'Master version "{wanted}" is unsupported.')
