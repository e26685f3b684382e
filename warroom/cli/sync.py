"""Sync with a relay or a far file: `warroom sync`; `warroom sync-stdio` is the far side.

Declarations only; the bodies are in warroom/commands/sync.py."""

from __future__ import annotations

import click

COMMANDS: tuple[click.Command, ...] = ()
