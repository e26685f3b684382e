"""No core dumps: the process holds the passphrase, the data key and plaintext.

First thing at start, as gpg-agent and ssh-agent do: the core size limit goes to
0 (soft and hard, so nothing later raises it again) and, on Linux, the process is
made non-dumpable (prctl PR_SET_DUMPABLE 0): no core even through a piped
core_pattern such as systemd-coredump (which ignores the size limit), and other
processes of the same user can no longer ptrace it or read its /proc/PID/mem and
environ. Elsewhere, or where a call is refused, it is silently skipped.
"""

from __future__ import annotations

import contextlib
import sys

PR_SET_DUMPABLE = 4


def disable_core_dumps() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
