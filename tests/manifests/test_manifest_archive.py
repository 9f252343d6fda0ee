"""Release archives against a local HTTP server on 127.0.0.1: fresh download, resume from a
``.part``, damaged files redone, reuse without a request, safe extraction, and the whole
archive-to-plan path."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kfwizard.engine.errors import Cancelled, StepFailed
from kfwizard.manifests import archive, load_manifests, tools
from kfwizard.manifests.archive import part_of, safe_extract, sidecar_of, verify_tar

from .conftest import KFP, KFP_TREE, have_renderer, kfp_set, need_fixtures


@dataclass
class Served:
    """What the test server holds and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, Range header) per GET."""
    drop_after: int | None = None
    """Close the connection after this many body bytes (once), promising the full length."""
    sent: int = 0


def make_handler(state: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            wanted = self.headers.get("Range")
            state.requests.append((self.path, wanted))
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            if wanted and wanted.startswith("bytes="):
                start = int(wanted[6:].split("-", 1)[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            chunk = body[start:]
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("Content-Type", "application/gzip")
            self.end_headers()
            if state.drop_after is not None:
                cut, state.drop_after = state.drop_after, None
                self.wfile.write(chunk[:cut])
                state.sent += cut
                self.close_connection = True
                return
            self.wfile.write(chunk)
            state.sent += len(chunk)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Served]]:
    state = Served()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


def tree_archive(top: str = "pipelines-1.8.5") -> bytes:
    """A GitHub-style release tarball of the 1.8.5 kustomize fixture (plus a README)."""
    need_fixtures()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(KFP_TREE / "manifests", arcname=f"{top}/manifests")
        readme = b"not part of the manifests\n"
        info = tarfile.TarInfo(f"{top}/README.md")
        info.size = len(readme)
        tar.addfile(info, io.BytesIO(readme))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def tarball() -> bytes:
    return tree_archive()


def fetch(url: str, dest: Path, **kw):
    lines: list[str] = []
    got = archive.download(url, dest, log=lines.append, backoff=0.0, **kw)
    return got, lines


def test_fresh_download_records_sha(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/1.8.5.tar.gz"] = tarball
    dest = tmp_path / "a.tar.gz"
    got, _lines = fetch(f"{base}/1.8.5.tar.gz", dest)
    assert got.reused is False and dest.read_bytes() == tarball
    assert got.sha256 == hashlib.sha256(tarball).hexdigest()
    assert sidecar_of(dest).read_text().split()[0] == got.sha256
    assert not part_of(dest).exists()
    assert state.requests == [("/1.8.5.tar.gz", None)]


def test_reuse_makes_no_request(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/x.tar.gz"] = tarball
    dest = tmp_path / "x.tar.gz"
    fetch(f"{base}/x.tar.gz", dest)
    got, lines = fetch(f"{base}/x.tar.gz", dest)
    assert got.reused is True and len(state.requests) == 1
    assert any("Using the cached archive" in line for line in lines)


def test_resume_from_partial_download(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/x.tar.gz"] = tarball
    dest = tmp_path / "x.tar.gz"
    half = len(tarball) // 2
    part_of(dest).write_bytes(tarball[:half])
    got, lines = fetch(f"{base}/x.tar.gz", dest)
    assert state.requests == [("/x.tar.gz", f"bytes={half}-")]
    assert state.sent == len(tarball) - half
    assert dest.read_bytes() == tarball and got.sha256 == hashlib.sha256(tarball).hexdigest()
    assert any(f"Resuming the download at byte {half:,}" in line for line in lines)


def test_dropped_connection_is_resumed(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/x.tar.gz"] = tarball
    state.drop_after = 1000
    dest = tmp_path / "x.tar.gz"
    got, _lines = fetch(f"{base}/x.tar.gz", dest)
    assert [r for _, r in state.requests] == [None, "bytes=1000-"]
    assert dest.read_bytes() == tarball and got.reused is False


def test_corrupted_cache_is_downloaded_again(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/x.tar.gz"] = tarball
    dest = tmp_path / "x.tar.gz"
    fetch(f"{base}/x.tar.gz", dest)
    damaged = bytearray(dest.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    dest.write_bytes(bytes(damaged))
    got, lines = fetch(f"{base}/x.tar.gz", dest)
    assert len(state.requests) == 2 and got.reused is False
    assert dest.read_bytes() == tarball
    assert any("no longer matches its recorded sha256" in line for line in lines)


def test_garbage_part_is_redone_from_scratch(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/x.tar.gz"] = tarball
    dest = tmp_path / "x.tar.gz"
    part_of(dest).write_bytes(b"\0" * 300)  # not a prefix of the real file
    _got, lines = fetch(f"{base}/x.tar.gz", dest)
    assert [r for _, r in state.requests] == ["bytes=300-", None]
    assert dest.read_bytes() == tarball
    assert any("damaged" in line for line in lines)


def test_cached_file_without_sidecar_is_verified(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    dest = tmp_path / "x.tar.gz"
    dest.write_bytes(tarball)
    got, _ = fetch(f"{base}/x.tar.gz", dest)
    assert got.reused and state.requests == [] and sidecar_of(dest).is_file()
    dest.write_bytes(tarball[:-50])
    sidecar_of(dest).unlink()
    state.files["/x.tar.gz"] = tarball
    got, _ = fetch(f"{base}/x.tar.gz", dest)
    assert not got.reused and dest.read_bytes() == tarball


def test_missing_release_is_a_clear_failure(server, tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(StepFailed) as caught:
        fetch(f"{base}/9.9.9.tar.gz", tmp_path / "x.tar.gz")
    assert "HTTP 404" in caught.value.cause and "release tag" in caught.value.cause


def test_only_https_or_loopback(tmp_path: Path) -> None:
    with pytest.raises(StepFailed, match="HTTPS only"):
        fetch("http://example.com/1.8.5.tar.gz", tmp_path / "x.tar.gz")


def test_unreachable_server_keeps_trying_then_fails(tmp_path: Path) -> None:
    with pytest.raises(StepFailed, match="cannot connect"):
        fetch("http://127.0.0.1:9/x.tar.gz", tmp_path / "x.tar.gz", attempts=2, timeout=2)


def test_cancel_stops_the_download(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/x.tar.gz"] = tarball
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        fetch(f"{base}/x.tar.gz", tmp_path / "x.tar.gz", cancel=stop)


def test_verify_tar_rejects_truncation(tarball: bytes, tmp_path: Path) -> None:
    path = tmp_path / "t.tar.gz"
    path.write_bytes(tarball[: len(tarball) - 10])
    with pytest.raises(archive.ArchiveError):
        verify_tar(path)


# -- extraction --------------------------------------------------------------------------


def evil_archive(path: Path, name: str, *, link: str | None = None) -> None:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        if link is not None:
            info.type = tarfile.SYMTYPE
            info.linkname = link
            tar.addfile(info)
        else:
            info.size = 2
            tar.addfile(info, io.BytesIO(b"hi"))


@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("top/../../escape.txt", None),
        ("/etc/evil", None),
        ("top/manifests/link", "../../../outside"),
    ],
)
def test_extraction_refuses_paths_outside(tmp_path: Path, name: str, link: str | None) -> None:
    bad = tmp_path / "bad.tar.gz"
    evil_archive(bad, name, link=link)
    with pytest.raises(StepFailed, match="outside the target folder"):
        safe_extract(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "escape.txt").exists()


def test_extraction_keeps_only_manifests(tarball: bytes, tmp_path: Path) -> None:
    path = tmp_path / "t.tar.gz"
    path.write_bytes(tarball)
    out = safe_extract(path, tmp_path / "src", under="manifests")
    assert (out / "pipelines-1.8.5" / "manifests" / "kustomize" / "env" / "dev").is_dir()
    assert not (out / "pipelines-1.8.5" / "README.md").exists()
    assert (out / archive.COMPLETE_MARKER).is_file()
    assert safe_extract(path, out) == out  # complete: not extracted again


# -- the whole path -------------------------------------------------------------------------


@pytest.mark.needs_kubectl
@pytest.mark.skipif(not have_renderer(), reason="neither kubectl nor kustomize is installed")
def test_archive_to_plan(server, tarball: bytes, tmp_path: Path) -> None:
    base, state = server
    state.files["/releases/1.8.5.tar.gz"] = tarball
    env = {"KFWIZARD_RELEASES_URL": f"{base}/releases", "PATH": os.environ["PATH"]}
    sel = {"mode": "kfp-standalone", "version": "1.8.5", "env": "platform-agnostic"}
    lines: list[str] = []
    found = load_manifests(sel, tmp_path, lines.append, env=env)
    assert found.source.startswith(f"release archive {base}/releases/1.8.5.tar.gz")
    assert [m.ref for m in found.objects] == [m.ref for m in kfp_set("1.8.5", "platform-agnostic")]
    assert (tmp_path / "archives" / "kubeflow-pipelines-1.8.5.tar.gz").is_file()
    again = load_manifests(sel, tmp_path, lines.append, env=env)
    assert len(state.requests) == 1 and again.rendered_dir == found.rendered_dir
    if tools.find_renderer().version == "v5.5.0":  # the fixtures' kustomize
        want = KFP / "1.8.5" / "cluster-scoped-resources.yaml"
        assert Path(found.files[0]).read_bytes() == want.read_bytes()
