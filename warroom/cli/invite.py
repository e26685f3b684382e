"""Bringing a responder in: `warroom invite` and `warroom join`.

Declarations only; the bodies are in warroom/commands/invite.py."""

from __future__ import annotations

import click

COMMANDS: tuple[click.Command, ...] = ()
