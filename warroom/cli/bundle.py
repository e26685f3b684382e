"""Bundles for sneakernet and air gaps: `warroom bundle export|import`, `warroom vector`.

Declarations only; the bodies are in warroom/commands/bundle.py."""

from __future__ import annotations

import click

COMMANDS: tuple[click.Command, ...] = ()
