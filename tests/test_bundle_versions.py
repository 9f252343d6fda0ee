"""A support bundle says which kfwizard, Python, OS, libraries, kubectl and gcloud made
it: a helper reading it cannot ask."""

from __future__ import annotations

from pathlib import Path

from kfwizard import __version__
from kfwizard.cli import main
from tests.test_bundle_cluster import _kubeconfig_session, _members, _refusing


def test_the_bundle_names_the_versions_that_made_it(tmp_path: Path) -> None:
    import platform

    with _refusing() as port:
        session = _kubeconfig_session(tmp_path, port)
    bundle = tmp_path / "b.tar.gz"
    assert main(["bundle", "--session", session.id, "--output", str(bundle)]) == 0
    files = _members(bundle)
    versions = dict(
        line.split(None, 1) for line in files["versions.txt"].splitlines() if line.strip()
    )
    assert versions["kfwizard"] == __version__
    assert versions["python"].startswith(platform.python_version())
    assert versions["os"] == platform.platform()
    for name in ("kubernetes", "google-cloud-container", "textual", "kubectl", "gcloud"):
        assert versions.get(name), f"{name} missing from versions.txt"
    assert (
        f"made by: kfwizard {__version__}, python {platform.python_version()}"
        in (files["README.txt"])
    )
