"""Shared fixtures: every test gets its own device (config dir) and fast KDF;
GnuPG tests get throwaway GNUPGHOMEs (`gpg_env`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(autouse=True)
def isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A fresh config dir (device key, name, user playbooks) for each test."""
    directory = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(directory))
    monkeypatch.delenv("WARROOM_PASSPHRASE_FILE", raising=False)
    return directory


# -- GnuPG: throwaway homes and keys (real gpg, no mocks) ---------------------

GPG_EXPIRED_AT = "20200101T000000"
"""Keys made "expired" are generated with gpg's clock set here and a 1-day expiry."""


@dataclass
class GpgHome:
    """One throwaway GNUPGHOME. Keys are ed25519/cv25519 and have no passphrase
    unless one is given; every helper returns or takes full fingerprints."""

    path: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "GNUPGHOME": str(self.path)}

    def gpg(
        self, *args: str | os.PathLike[str], input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `gpg --homedir HOME --batch --no-tty --status-fd 2 ARGS...` (bytes out)."""
        argv = ["gpg", "--homedir", str(self.path), "--batch", "--no-tty", "--status-fd", "2"]
        proc = subprocess.run(
            [*argv, *map(str, args)],
            input=input,
            capture_output=True,
            env=self.env(),
            timeout=60,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"gpg {' '.join(map(str, args))} failed:\n{proc.stderr.decode()}")
        return proc

    def gen_key(
        self,
        uid: str,
        *,
        expire: str = "1y",
        faked_time: str | None = None,
        passphrase: str = "",
        algo: str = "future-default",
    ) -> str:
        """A new key for `uid`, by default ed25519 (sign) + cv25519 (encrypt); its
        fingerprint. `algo` is gpg's --quick-gen-key algo ("nistp384", "rsa3072"...)."""
        args: list[str] = ["--pinentry-mode", "loopback", "--passphrase", passphrase]
        if faked_time:
            args += ["--faked-system-time", faked_time]
        proc = self.gpg(*args, "--quick-gen-key", uid, algo, "default", expire)
        for line in proc.stderr.decode().splitlines():
            if line.startswith("[GNUPG:] KEY_CREATED "):
                return line.split()[3]
        raise AssertionError(f"no KEY_CREATED from gpg:\n{proc.stderr.decode()}")

    def add_signing_subkey(self, fingerprint: str) -> str:
        """Add an ed25519 signing subkey (gpg then signs with it); its fingerprint."""
        self.gpg(
            "--pinentry-mode", "loopback", "--passphrase", "",
            "--quick-add-key", fingerprint, "ed25519", "sign", "1y",
        )  # fmt: skip
        listing = self.gpg("--with-colons", "--list-keys", fingerprint).stdout.decode()
        return [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")][-1]

    def gen_expired_key(self, uid: str) -> str:
        """A key that expired long ago (made with gpg's clock in 2020, valid 1 day)."""
        return self.gen_key(uid, expire="1d", faked_time=GPG_EXPIRED_AT)

    def gen_revoked_key(self, uid: str) -> str:
        fingerprint = self.gen_key(uid)
        self.revoke(fingerprint)
        return fingerprint

    def revoke(self, fingerprint: str) -> None:
        """Import the revocation certificate gpg stored when it made the key here."""
        cert = (self.path / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        # gpg prefixes the armor line with ':' so the file is not imported by accident
        cert = cert.replace(
            ":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----"
        )
        self.gpg("--import", input=cert.encode())

    def export_public(self, *fingerprints: str) -> bytes:
        data = self.gpg("--armor", "--export", *fingerprints).stdout
        assert data, f"nothing exported for {fingerprints}"
        return data

    def import_keys(self, data: bytes) -> None:
        self.gpg("--import", input=data)

    def give(self, other: GpgHome, *fingerprints: str) -> None:
        """Copy these public keys (with any revocation) from this home into `other`."""
        other.import_keys(self.export_public(*fingerprints))

    def keyring(self, **kwargs: Any) -> Any:
        from warroom.gpg import Keyring

        return Keyring(self.path, **kwargs)

    def kill_agent(self) -> None:
        subprocess.run(
            ["gpgconf", "--kill", "all"], env=self.env(), capture_output=True, timeout=30
        )


@contextlib.contextmanager
def _gpg_homes() -> Iterator[Callable[[], GpgHome]]:
    if shutil.which("gpg") is None or shutil.which("gpgconf") is None:
        pytest.skip("gpg is not installed")
    homes: list[GpgHome] = []

    def make() -> GpgHome:
        # short path under /tmp: gpg-agent's socket path has a length limit
        path = Path(tempfile.mkdtemp(prefix="wg", dir="/tmp"))
        path.chmod(0o700)
        # the cheapest passphrase hashing: protecting a test key otherwise takes seconds
        (path / "gpg-agent.conf").write_text("s2k-count 65536\n")
        homes.append(GpgHome(path))
        return homes[-1]

    try:
        yield make
    finally:
        for home in homes:
            home.kill_agent()
            shutil.rmtree(home.path, ignore_errors=True)


@pytest.fixture
def gpg_env() -> Iterator[Callable[[], GpgHome]]:
    """`gpg_env()` -> a fresh GpgHome; agents killed and homes removed after the test."""
    with _gpg_homes() as make:
        yield make


@pytest.fixture(scope="module")
def gpg_env_module() -> Iterator[Callable[[], GpgHome]]:
    """Like `gpg_env`, for module-scoped fixtures that share keys between tests."""
    with _gpg_homes() as make:
        yield make
