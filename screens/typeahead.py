"""Type-ahead: a key that arrives while an earlier one is still being acted on waits its turn.

Textual hands each key to whatever has the focus at the moment the app reads it.
A key that opens an input or a screen moves the focus a few messages later, so
the keys behind it in the same read (a paste, a fast typist, a laggy SSH link
delivering a burst) would reach the old focus and fire its bindings: `n` then
`hello` opened the evidence register on `e`. The gate holds them back: after a
key that is bound to something, the next key is let through only once the first
has travelled the whole way (focused widget, its parents, the app, where bindings
run), then so have the messages its action posted (an input's Submitted on Enter:
`n` then `hello` then Enter then `n` again lost the second note), and the focus and
screen it changed have settled. Unbound keys (letters
typed into an input) pass straight through when nothing is held.

Priority bindings (ctrl+q, ctrl+l) act in the app the moment the key is read,
ahead of the letters still queued in the input before them; so they too wait
until those letters have landed, or the text typed just before quitting would
be missing from what quit saves.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

MIN_ROUNDS = 2
"""Rounds of waiting after every bound key, the focus moved or not: what the key's
action posted (an input's Submitted, on Enter) is handled only after the first
barrier is back, and the focus moves only then (the note input closes)."""
MAX_ROUNDS = 6
"""Rounds of waiting for the focus to settle after one key (a screen push takes 2-3)."""
STUCK_SECONDS = 1.0
"""A round whose barrier never comes back (its widget was removed) ends after this."""


class KeyBarrier(Message):
    """Sent behind a bound key to the widget that got it. Messages are handled in
    order and bubble up to the app, so when this reaches the app, the key has been
    handled all the way up."""

    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token


class TypeAhead:
    """Holds keys back while an earlier bound key is being acted on; see the module doc."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._held: deque[events.Key] = deque()
        self._released: set[int] = set()
        self._token = 0
        self._busy = False
        self._rounds = 0
        self._seen: tuple[object, object] = (None, None)
        self._unsettled: MessagePump | None = None
        """Where unbound keys went since the last barrier: they may still be queued there."""

    def admit(self, event: events.Key) -> bool:
        """True: dispatch the key now. False: it is held and will be posted again."""
        released = id(event) in self._released
        if released:
            self._released.discard(id(event))
        elif self._busy or self._held or self._released:  # keep arrival order
            self._held.append(event)
            return False
        if self._unsettled is not None and self._is_priority(event.key):
            if released:
                self._held.appendleft(event)
            else:
                self._held.append(event)
            self._start(self._unsettled)  # let the keys before it land first
            return False
        return True

    def is_bound(self, key: str) -> bool:
        """Whether any binding in reach (focused widget up to the app) takes `key`."""
        screen = self._app.screen
        chains = (screen._modal_binding_chain, screen._binding_chain)
        return any(key in bindings.key_to_bindings for chain in chains for _, bindings in chain)

    def _is_priority(self, key: str) -> bool:
        return any(
            binding.priority
            for _, bindings in self._app.screen._binding_chain
            for binding in bindings.key_to_bindings.get(key, ())
        )

    def dispatched(self, bound: bool, target: MessagePump) -> None:
        """The app has just handed a key on to `target`."""
        if bound:
            self._start(target)
        else:
            self._unsettled = target
            self._release_next()

    def _start(self, target: MessagePump) -> None:
        self._busy = True
        self._rounds = 0
        self._seen = self._focus()
        self._send_barrier(target)

    def barrier_back(self, barrier: KeyBarrier) -> None:
        """A barrier reached the app: look again once what the key queued has run."""
        if barrier.token == self._token:
            self._app.call_later(self._look, barrier.token)

    def _look(self, token: int) -> None:
        if token != self._token or not self._busy:
            return
        now = self._focus()
        self._rounds += 1
        if (now != self._seen or self._rounds < MIN_ROUNDS) and self._rounds < MAX_ROUNDS:
            self._seen = now  # the focus or the screen moved: let the new one settle too
            self._send_barrier(self._app.focused or self._app.screen)
            return
        self._busy = False
        self._unsettled = None
        self._release_next()

    def _focus(self) -> tuple[object, object]:
        return (self._app.screen, self._app.focused)

    def _send_barrier(self, target: MessagePump) -> None:
        self._token += 1
        token = self._token
        if not target.post_message(KeyBarrier(token)):
            self._app.call_later(self._look, token)  # the target is gone: nothing to wait for
            return
        self._app.set_timer(STUCK_SECONDS, lambda: self._stuck(token))

    def _stuck(self, token: int) -> None:
        if token == self._token and self._busy:
            self._busy = False
            self._unsettled = None
            self._release_next()

    def _release_next(self) -> None:
        if self._held and not self._busy:
            event = self._held.popleft()
            self._released.add(id(event))
            self._app.post_message(event)
