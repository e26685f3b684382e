"""GpgError, what warroom's gpg modules raise: `warroom.gpg` when gpg refuses or
fails, `warroom.keypackets` when what gpg exported cannot be cut into keys. A module
apart so that both can raise it; `warroom.gpg` re-exports it."""

from __future__ import annotations


class GpgError(RuntimeError):
    """gpg refused or failed; the message is one line and never holds key material."""
