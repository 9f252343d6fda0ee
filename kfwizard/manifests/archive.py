"""Release archives: a resumable, verified HTTPS download into the cache, and a safe
extraction.

The archive is fetched once and reused: interrupted downloads continue from the
``.part`` file with an HTTP Range request, a finished one is checked as a complete
gzip/tar, and its sha256 is recorded in a sidecar so a later run notices a damaged
cache and downloads again instead of rendering garbage. Extraction refuses any member
that would land outside the target folder (absolute paths, ``..``, links pointing out).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import ipaddress
import os
import shutil
import tarfile
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from kfwizard.engine.errors import Cancelled, StepFailed

CHUNK = 1 << 16
USER_AGENT = "kfwizard (release archive download)"
COMPLETE_MARKER = ".kfwizard-complete"


class ArchiveError(Exception):
    """The file is not a complete, valid gzip-compressed tar."""


@dataclass(frozen=True)
class Download:
    path: Path
    sha256: str
    reused: bool
    size: int


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def part_of(path: Path) -> Path:
    return path.with_name(path.name + ".part")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_tar(path: Path) -> None:
    """Read the whole gzip stream (its CRC and length are checked at the end) and every
    tar header; :class:`ArchiveError` when anything is missing or damaged."""
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 20):
                pass
        with tarfile.open(path, "r:gz") as tar:
            if not tar.getmembers():
                raise ArchiveError(f"{path.name} is an empty archive")
    except (OSError, EOFError, tarfile.TarError, zlib.error) as exc:
        raise ArchiveError(f"{path.name} is not a complete tar.gz ({exc})") from None


def _recorded_sha(path: Path) -> str | None:
    try:
        text = sidecar_of(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text.split()[0] if text else None


def _record_sha(path: Path, sha: str) -> None:
    sidecar_of(path).write_text(f"{sha}  {path.name}\n", encoding="utf-8")


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme == "http" and loopback:
        return  # a local mirror or a test server
    raise StepFailed(
        f"Refusing to download {url}: release archives are fetched over HTTPS only.",
        action="use an https:// URL in KFWIZARD_RELEASES_URL",
    )


def _reuse(dest: Path, log: Callable[[str], None]) -> Download | None:
    if not dest.is_file():
        return None
    recorded = _recorded_sha(dest)
    if recorded is not None:
        actual = sha256_file(dest)
        if actual == recorded:
            log(f"Using the cached archive {dest.name} (sha256 {actual[:12]}…).")
            return Download(dest, actual, True, dest.stat().st_size)
        log(
            f"The cached archive {dest.name} no longer matches its recorded sha256; "
            "downloading again."
        )
    else:
        try:
            verify_tar(dest)
        except ArchiveError as exc:
            log(f"The cached archive is damaged ({exc}); downloading again.")
        else:
            actual = sha256_file(dest)
            _record_sha(dest, actual)
            log(f"Using the cached archive {dest.name} (sha256 {actual[:12]}…).")
            return Download(dest, actual, True, dest.stat().st_size)
    dest.unlink(missing_ok=True)
    sidecar_of(dest).unlink(missing_ok=True)
    return None


def download(
    url: str,
    dest: Path,
    *,
    log: Callable[[str], None],
    cancel: threading.Event | None = None,
    timeout: float = 60.0,
    attempts: int = 4,
    backoff: float = 1.0,
) -> Download:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``), verify it, record its sha256.

    Reuses ``dest`` without any request when it matches its recorded sha256.
    """
    _check_url(url)
    cancel = cancel or threading.Event()
    dest.parent.mkdir(parents=True, exist_ok=True)
    reused = _reuse(dest, log)
    if reused is not None:
        return reused
    part = part_of(dest)
    last_problem = "no attempt was made"
    for attempt in range(1, attempts + 1):
        if cancel.is_set():
            raise Cancelled()
        offset = part.stat().st_size if part.is_file() else 0
        problem = _fetch(url, part, offset, log=log, cancel=cancel, timeout=timeout)
        if problem is None:
            try:
                verify_tar(part)
            except ArchiveError as exc:
                problem = f"the downloaded file is damaged ({exc})"
                part.unlink(missing_ok=True)  # start over: resuming garbage keeps it garbage
            else:
                sha = sha256_file(part)
                os.replace(part, dest)
                _record_sha(dest, sha)
                size = dest.stat().st_size
                log(f"Downloaded {dest.name}: {size:,} bytes, sha256 {sha[:12]}….")
                return Download(dest, sha, False, size)
        last_problem = problem
        if attempt < attempts:
            delay = 0.0 if "damaged" in problem else backoff * 2 ** (attempt - 1)
            log(
                f"Download attempt {attempt} failed: {problem}; retrying"
                + (f" in {delay:.0f} s." if delay else ".")
            )
            if delay and cancel.wait(delay):
                raise Cancelled()
    raise StepFailed(
        f"Could not download {url}: {last_problem}.",
        action="check the network (or the proxy settings) and run again; "
        "the partial download is kept and resumed",
    )


def _fetch(
    url: str,
    part: Path,
    offset: int,
    *,
    log: Callable[[str], None],
    cancel: threading.Event,
    timeout: float,
) -> str | None:
    """One request; appends to ``part``. Returns None when the body arrived complete, else
    what went wrong (the part file is kept for the next attempt)."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        log(f"Resuming the download at byte {offset:,}.")
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return None  # nothing left to send: the part is complete (verified next)
        if exc.code in (408, 429, 500, 502, 503, 504):
            return f"HTTP {exc.code} {exc.reason}"
        hint = " (does that release tag exist?)" if exc.code == 404 else ""
        raise StepFailed(
            f"Downloading {url} failed: HTTP {exc.code} {exc.reason}{hint}.",
            action="check the version, or set KFWIZARD_RELEASES_URL to a mirror",
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"cannot connect ({reason})"
    with response:
        status = getattr(response, "status", 200)
        mode = "ab"
        if offset and status == 206:
            start = _range_start(response.headers.get("Content-Range"))
            if start != offset:
                offset, mode = 0, "wb"
                log("The server resumed at the wrong byte; downloading from the start.")
        else:
            if offset:
                log("The server does not resume downloads; starting over.")
            offset, mode = 0, "wb"
        length = response.headers.get("Content-Length")
        expected = offset + int(length) if length and length.isdigit() else None
        try:
            with part.open(mode) as handle:
                while True:
                    if cancel.is_set():
                        raise Cancelled()
                    block = response.read(CHUNK)
                    if not block:
                        break
                    handle.write(block)
        except Cancelled:
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return f"the connection dropped ({type(exc).__name__})"
    size = part.stat().st_size
    if expected is not None and size < expected:
        return f"the connection dropped after {size:,} of {expected:,} bytes"
    return None


def _range_start(header: str | None) -> int | None:
    # "bytes 100-199/200"
    if not header or not header.startswith("bytes "):
        return None
    try:
        return int(header[6:].split("-", 1)[0])
    except ValueError:
        return None


# -- extraction ---------------------------------------------------------------------------


def _member_path(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith(("/", "\\")) or ".." in path.parts:
        return None
    if any(":" in part for part in path.parts[:1]):
        return None  # a Windows drive letter
    return path


def _link_inside(member: tarfile.TarInfo, path: PurePosixPath) -> bool:
    target = PurePosixPath(member.linkname)
    if target.is_absolute():
        return False
    base = path.parent if member.issym() else PurePosixPath()
    depth = 0
    for part in (*base.parts, *target.parts):
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return True


def safe_extract(
    archive: Path, dest: Path, *, under: str | None = None, cancel: threading.Event | None = None
) -> Path:
    """Extract ``archive`` into ``dest`` (replaced atomically when complete).

    ``under`` keeps only members below ``<top folder>/<under>`` (for example
    ``manifests``), which spares extracting a whole source repository.
    """
    if (dest / COMPLETE_MARKER).is_file():
        return dest
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    data_filter = getattr(tarfile, "data_filter", None)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                path = _member_path(member.name)
                if path is None:
                    raise StepFailed(
                        f"The archive {archive.name} has an unsafe member "
                        f"{member.name!r} (outside the target folder); refusing it.",
                        action="delete the cached archive and download it again",
                    )
                if (
                    under
                    and not (
                        len(path.parts) > 1 and PurePosixPath(*path.parts[1:]).is_relative_to(under)
                    )
                    and not (member.isdir() and len(path.parts) == 1)
                ):
                    continue
                if member.issym() or member.islnk():
                    if not _link_inside(member, path):
                        raise StepFailed(
                            f"The archive {archive.name} has a link {member.name!r} "
                            f"pointing outside the target folder; refusing it.",
                            action="delete the cached archive and download it again",
                        )
                elif not (member.isfile() or member.isdir()):
                    continue  # devices and fifos have no place in a manifests archive
                if data_filter is not None:
                    tar.extract(member, tmp, filter="data")
                else:  # pragma: no cover - Python without extraction filters
                    tar.extract(member, tmp)
        (tmp / COMPLETE_MARKER).write_text(archive.name + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except tarfile.TarError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StepFailed(
            f"Could not extract {archive.name}: {exc}.",
            action="delete the cached archive and run again",
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest
