"""No core dumps: a `kill -QUIT` core once held the passphrase and a note six times.

A real `warroom` process is caught while it waits for its passphrase (a FIFO as
--passphrase-file, so it is past start-up and about to hold the secret): its
core size limit must be 0, and it must be non-dumpable.

Non-dumpable is seen from outside as another process of the same user being
refused /proc/PID/io (the kernel's ptrace read check, which Yama leaves alone).
As a user, the file of a non-dumpable process belongs to root. As root (CI),
CAP_SYS_PTRACE overrides the check, so every process here runs without it: the
targets are started through a wrapper that drops it from the bounding set, the
observer drops it from its effective set. A plain python process, started the
same way, is the control: the same observer reads its /proc/PID/io.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="prctl and /proc are Linux"
)

CAP_SYS_PTRACE = 19
PR_CAPBSET_DROP = 24

WITHOUT_PTRACE = (
    "import ctypes, os, sys\n"
    f"ctypes.CDLL(None).prctl({PR_CAPBSET_DROP}, {CAP_SYS_PTRACE}, 0, 0, 0)  # fails unless root\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)
"""Run argv[1:] with CAP_SYS_PTRACE out of the bounding set (so out of its permitted set)."""

OBSERVER = f"""
import ctypes, sys
class Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
class Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]
libc = ctypes.CDLL(None, use_errno=True)
header, data = Header(0x20080522, 0), (Data * 2)()
if libc.capget(ctypes.byref(header), data) != 0:
    sys.exit("capget failed")
data[0].effective &= ~(1 << {CAP_SYS_PTRACE}) & 0xFFFFFFFF
if libc.capset(ctypes.byref(header), data) != 0:
    sys.exit("capset failed")
try:
    with open(f"/proc/{{sys.argv[1]}}/io", "rb") as fh:
        fh.read()
except PermissionError:
    print("refused")
else:
    print("readable")
"""


def without_ptrace(argv: list[str]) -> list[str]:
    return [sys.executable, "-c", WITHOUT_PTRACE, *argv]


def io_is(pid: int) -> str:
    """'refused' or 'readable': /proc/PID/io, read without CAP_SYS_PTRACE."""
    proc = subprocess.run(
        [sys.executable, "-c", OBSERVER, str(pid)], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def core_limit(pid: int) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            soft, hard = line.split()[4:6]
            return soft, hard
    raise AssertionError("no core limit in /proc/PID/limits")


def waiting_for_passphrase(fifo: Path, proc: subprocess.Popen, timeout: float = 30) -> int:
    """Once the process has opened the FIFO (past start-up), our write end of it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.01)
    raise AssertionError("warroom never opened its passphrase FIFO")


def console_script() -> Path:
    script = Path(sys.executable).parent / "warroom"
    if not script.exists():
        pytest.skip("the warroom console script is not installed beside this python")
    return script


@pytest.mark.parametrize("how", ["python -m warroom", "warroom console script"])
def test_warroom_is_not_dumpable(
    cli, incident: Path, passphrase: str, tmp_path: Path, how: str
) -> None:
    fifo = tmp_path / "passphrase.fifo"
    os.mkfifo(fifo, 0o600)
    argv = (
        [sys.executable, "-m", "warroom"] if how.startswith("python") else [str(console_script())]
    )
    proc = subprocess.Popen(
        without_ptrace([*argv, "verify", str(incident), "--passphrase-file", str(fifo)]),
        env=cli.env(passphrase_file=None),
        cwd=cli.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    control = subprocess.Popen(
        without_ptrace([sys.executable, "-c", "import time; time.sleep(60)"])
    )
    try:
        fd = waiting_for_passphrase(fifo, proc)
        assert core_limit(proc.pid) == ("0", "0")
        assert io_is(control.pid) == "readable"  # the observer does see a dumpable one
        assert io_is(proc.pid) == "refused"
        os.write(fd, (passphrase + "\n").encode())
        os.close(fd)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        assert stdout.startswith("ok: ")
    finally:
        control.kill()
        control.wait()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
