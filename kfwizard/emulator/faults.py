"""Faults the emulators can inject, chosen per run by flags or a YAML file.

One :class:`Faults` object is shared by every emulator of a run (GKE, Service Usage and
each cluster's Kubernetes API), so ``kfwizard emulator --error-rate 0.1`` affects all of
them. Faults can be changed while the emulators run (tests lift a fault, then resume).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

# Named faults for `--fault NAME` (the demo's rehearsals use the same names).
NAMED_FAULTS: dict[str, str] = {
    "flaky-api": "10% of calls fail with HTTP 500/503/429 (Retry-After) or drop the connection",
    "zone-stockout": "creating a cluster fails: the zone has no capacity for the machine type",
    "cpu-quota": "creating a cluster fails: regional CPUS quota exceeded",
    "crashloop-api-server": "the ml-pipeline Deployment crash-loops, with log lines",
    "image-pull": "the ml-pipeline-ui image cannot be pulled",
    "no-default-storageclass": "the cluster has no default StorageClass, so PVCs stay Pending",
    "small-nodepool": "the node pool is too small for the install (one e2-small node)",
    "services-permission-denied": "enabling APIs fails: no serviceusage.services.enable permission",
}


@dataclass
class Faults:
    """What to break. Every field's default means "behave like a healthy cloud"."""

    error_rate: float = 0.0
    """Share of calls (0..1) answered with an HTTP error from ``error_codes``."""
    error_codes: tuple[int, ...] = (500, 503, 429)
    retry_after: float = 0.05
    """Seconds sent in Retry-After with 429/503 (small so tests stay fast)."""
    drop_rate: float = 0.0
    """Share of calls whose connection is closed without an answer."""
    fail_paths: tuple[str, ...] = ()
    """Path substrings that always fail with 503 (one endpoint down)."""
    zone_stockout: bool = False
    cpu_quota_exceeded: bool = False
    services_permission_denied: bool = False
    crashloop: tuple[str, ...] = ()
    """Deployment names whose pods crash-loop."""
    image_pull: tuple[str, ...] = ()
    """Deployment names whose image cannot be pulled."""
    no_default_storageclass: bool = False
    small_nodepool: bool = False
    """Clusters get one ``e2-small`` node whatever was asked for."""
    never_ready: tuple[str, ...] = ()
    """Deployment names that stay unavailable without any error."""
    anonymous_refused: bool = False
    """The Kubernetes API answers a request without an Authorization header with 401,
    as a real API server does (the emulator otherwise lets anyone in)."""
    create_answers: tuple[int, ...] = ()
    """HTTP statuses answering the next GKE cluster creates, one each, in turn. A 4xx
    refuses the create: nothing is created. A 5xx comes after the create was carried
    out: the cluster exists, only the answer was lost (a front end that gave up)."""
    seed: int | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    # -- decisions used by the emulators ----------------------------------------------
    def roll_error(self, path: str) -> int | None:
        """The HTTP status to fail this call with, or None to answer it normally."""
        if any(fragment in path for fragment in self.fail_paths):
            return 503
        if self.error_rate <= 0:
            return None
        with self._lock:
            if self._rng.random() < self.error_rate:
                return self._rng.choice(self.error_codes)
        return None

    def roll_drop(self) -> bool:
        if self.drop_rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < self.drop_rate

    def next_create_answer(self) -> int | None:
        """The status for this cluster create (``create_answers``), or None: none left."""
        with self._lock:
            if not self.create_answers:
                return None
            code, *rest = self.create_answers
            self.create_answers = tuple(rest)
            return code

    def update(self, **changes: Any) -> None:
        """Change faults while running (e.g. lift one to test a resume)."""
        names = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise ValueError(f"unknown fault {key!r}")
            if isinstance(value, list):
                value = tuple(value)
            setattr(self, key, value)

    def clear(self) -> None:
        self.update(**{f.name: f.default for f in fields(self) if f.name != "seed"})

    # -- construction -------------------------------------------------------------------
    @classmethod
    def named(cls, *names: str) -> Faults:
        faults = cls()
        for name in names:
            faults.apply_named(name)
        return faults

    def apply_named(self, name: str) -> None:
        presets: dict[str, dict[str, Any]] = {
            "flaky-api": {"error_rate": 0.1, "drop_rate": 0.02},
            "zone-stockout": {"zone_stockout": True},
            "cpu-quota": {"cpu_quota_exceeded": True},
            "crashloop-api-server": {"crashloop": (*self.crashloop, "ml-pipeline")},
            "image-pull": {"image_pull": (*self.image_pull, "ml-pipeline-ui")},
            "no-default-storageclass": {"no_default_storageclass": True},
            "small-nodepool": {"small_nodepool": True},
            "services-permission-denied": {"services_permission_denied": True},
        }
        if name not in presets:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(sorted(presets))}")
        self.update(**presets[name])

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Faults:
        """Build from a YAML mapping; ``named: [..]`` selects presets, other keys are fields."""
        if not isinstance(data, dict):
            raise ValueError("a faults file must be a mapping of fault names to values")
        data = dict(data)
        named = data.pop("named", []) or []
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown fault key(s): {', '.join(unknown)}")
        converted = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        faults = cls(**converted)  # type: ignore[arg-type]  # checked against the fields above
        for name in named:
            faults.apply_named(str(name))
        return faults

    @classmethod
    def from_file(cls, path: Path) -> Faults:
        import yaml

        return cls.from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
