"""Command-palette providers: key actions, offered by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ActionsProvider(Provider):
    """Offers (name, action) pairs; subclasses say which, in `_commands`."""

    def _commands(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for name, action in self._commands():
            yield DiscoveryHit(name, partial(self.app.run_action, action, self.screen), help=action)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action in self._commands():
            if score := matcher.match(name):
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.app.run_action, action, self.screen),
                    help=action,
                )
