"""Evidence helpers: streaming SHA-256 of large files, retention dates."""

from __future__ import annotations

import os
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from warroom.evidence import (
    DEFAULT_RETENTION_DAYS,
    EVIDENCE_KINDS,
    EvidenceError,
    retain_until,
    sha256_file,
)

MB = 1 << 20


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 MB of varied bytes (not one repeated block), plus an odd tail."""
    path = tmp_path_factory.mktemp("evidence") / "disk.img"
    block = os.urandom(MB)
    with path.open("wb") as out:
        for i in range(50):
            out.write(bytes([i]) + block[1:])
        out.write(b"tail that is not a whole chunk")
    return path


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_sha256_matches_sha256sum(big_file: Path) -> None:
    result = subprocess.run(
        ["sha256sum", str(big_file)], capture_output=True, text=True, check=True
    )
    expected = result.stdout.split()[0]
    assert sha256_file(big_file) == expected


def test_sha256_streams_in_constant_memory(big_file: Path) -> None:
    size = big_file.stat().st_size
    assert size > 50 * MB
    tracemalloc.start()
    try:
        sha256_file(big_file)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One 1 MiB buffer and change; reading it whole would peak past 50 MB.
    assert peak < 4 * MB, peak


def test_progress_reaches_total(big_file: Path) -> None:
    size = big_file.stat().st_size
    calls: list[tuple[int, int]] = []
    sha256_file(
        big_file, chunk_size=8 * MB, progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (size, size)
    assert all(total == size for _, total in calls)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and len(dones) == 7  # 50 MB + tail in 8 MB chunks


def test_small_and_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    calls: list[tuple[int, int]] = []
    digest = sha256_file(empty, progress=lambda d, t: calls.append((d, t)))
    assert digest == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert calls == [(0, 0)]
    abc = tmp_path / "abc.txt"
    abc.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_file(abc, chunk_size=1) == expected
    assert sha256_file(str(abc)) == expected


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="no such file"):
        sha256_file(tmp_path / "nope.img")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="is a directory"):
        sha256_file(tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(EvidenceError, match="not a regular file"):
        sha256_file(fifo)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "locked.img"
    locked.write_bytes(b"x")
    locked.chmod(0)
    try:
        with pytest.raises(EvidenceError, match="cannot read"):
            sha256_file(locked)
    finally:
        locked.chmod(0o600)


def test_read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs as root too, where chmod 0 does not stop a read.
    path = tmp_path / "f.img"
    path.write_bytes(b"x")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(EvidenceError, match="cannot read it"):
        sha256_file(path)


def test_evidence_error_is_a_value_error() -> None:
    assert issubclass(EvidenceError, ValueError)


def test_bad_chunk_size(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(ValueError):
        sha256_file(tmp_path / "f", chunk_size=0)


def test_kinds_and_retention() -> None:
    assert EVIDENCE_KINDS == ("disk-image", "snapshot", "log-export", "memory-dump", "other")
    assert DEFAULT_RETENTION_DAYS == 90
    collected = 1_793_923_200_000  # 2026-11-06T00:00:00Z
    # + 90 x 86,400,000 = 7,776,000,000 ms: 2027-02-04T00:00:00Z
    assert retain_until(collected) == 1_801_699_200_000
    assert retain_until(collected, 1) == collected + 86_400_000
    assert retain_until(collected, 0) == collected
    with pytest.raises(EvidenceError):
        retain_until(collected, -1)
