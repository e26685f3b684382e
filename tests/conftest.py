"""Shared fixtures: every test gets its own device (config dir) and fast KDF."""

from __future__ import annotations

from pathlib import Path

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
