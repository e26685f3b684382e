"""The relay: `warroom relay` serves a blind store for incidents' rows (warroom/relay/).

Declarations only; the bodies are in warroom/commands/relay.py."""

from __future__ import annotations

import click

COMMANDS: tuple[click.Command, ...] = ()
