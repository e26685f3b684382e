"""This OS user's device identity: an Ed25519 signing key and a display name.

Both live in the user's config dir (platformdirs; `WARROOM_CONFIG_DIR`
overrides it), the key file with mode 0600, made on first use.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import nacl.signing
import platformdirs

KEY_FILE = "device.key"
PROFILE_FILE = "profile.json"


class DeviceError(Exception):
    pass


def config_dir() -> Path:
    override = os.environ.get("WARROOM_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("warroom"))


@dataclass
class Device:
    """A signing key and the name its notes are signed with by default."""

    signing_key: nacl.signing.SigningKey
    name: str

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def short_id(self) -> str:
        return self.public_key.hex()[:8]


def _write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only, complete or not at all; never replace
    an existing one (FileExistsError): written aside, then linked into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_signing_key(directory: Path) -> nacl.signing.SigningKey:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / KEY_FILE
    if not path.exists():
        # If another process makes it first, FileExistsError: use theirs.
        with contextlib.suppress(FileExistsError):
            _write_private(path, nacl.signing.SigningKey.generate().encode().hex().encode())
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise DeviceError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    try:
        return nacl.signing.SigningKey(bytes.fromhex(path.read_text().strip()))
    except ValueError as exc:
        raise DeviceError(f"{path} is not a warroom device key") from exc


def load_name(directory: Path) -> str | None:
    try:
        data = json.loads((directory / PROFILE_FILE).read_text())
    except (OSError, ValueError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def save_name(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = directory / (PROFILE_FILE + ".tmp")
    tmp.write_text(json.dumps({"name": name}))
    os.replace(tmp, directory / PROFILE_FILE)


def os_user_name() -> str:
    """The OS user's login name: the display name when none was chosen."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no $USER (a bare container)
        return f"uid-{os.getuid()}"


def load_device(directory: Path | None = None, name: str | None = None) -> Device:
    """The device of this OS user. Without a saved name, use `name` or the OS user name."""
    directory = directory or config_dir()
    key = load_signing_key(directory)
    saved = load_name(directory)
    return Device(key, saved or name or os_user_name())
