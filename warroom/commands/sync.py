"""`warroom sync` (one round, or a watch) and `warroom sync-stdio` (the far side of a
sync over ssh). The logic is in warroom/sync/runner.py; here the URL is chosen, the
file unlocked, and each round said.

Exit codes: 0 clean; 1 a fork, a refused row or a peer that went back on its
anchors was seen (one line each on stderr); 2 bad input, or the peer unreachable
after retries.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from warroom.commands.common import Failure, incident_id_of, plain_store, unlocked
from warroom.commands.progress import sync_progress
from warroom.ledger import RELAY_TOKEN
from warroom.sanitize import one_line
from warroom.session import Session, SessionError
from warroom.sync import runner
from warroom.sync import settings as sync_settings


def sync(
    path: Path, url: str | None, watch: bool, interval: float, passphrase_file: Path | None
) -> None:
    incident_id = incident_id_of(path)  # before the passphrase: a missing URL fails at once
    if url is not None:
        try:
            url = runner.check_url(url)
        except SessionError as exc:
            raise Failure(str(exc)) from None
    else:
        url = sync_settings.load(incident_id).url
        if url is None:
            raise Failure(
                f"no sync URL for {one_line(str(path))}: give one once "
                "(warroom sync PATH https://relay... or ssh://host/path/inc.db); it is saved"
            )
    remember = url != sync_settings.load(incident_id).url
    with unlocked(path, passphrase_file, fold=False) as session:
        link = _connect(session, url, unattended=watch)
        try:
            if watch:
                clean = _watch(session, link, interval, remember)
            else:
                clean = _say(_round(session, link, remember))
        finally:
            link.close()
    if not clean:
        raise click.exceptions.Exit(1)


def _connect(session: Session, url: str, *, unattended: bool) -> runner.Link:
    try:
        return runner.connect(
            url,
            session.header.incident_id,
            lambda: session.ledger.derive(RELAY_TOKEN).hex(),
            unattended=unattended,
        )
    except SessionError as exc:
        raise Failure(str(exc)) from None


def _round(session: Session, link: runner.Link, remember: bool) -> runner.Round:
    try:
        return runner.sync_once(
            session.store,
            session.header.incident_id,
            link,
            remember_url=remember,
            opens=session.ledger.opens,
            progress=sync_progress(),
        )
    except link.unreachable as exc:
        raise Failure(one_line(str(exc))) from None


def _say(result: runner.Round) -> bool:
    """Print the round's summary (stdout) and its problems (stderr, one line each);
    whether it was clean."""
    report = result.report
    rejected = len(report.rejected_here) + len(report.rejected_there)
    click.echo(
        f"synced with {runner.shown(result.url)}: pushed {report.pushed}, pulled "
        f"{report.pulled}, forks {len(report.forks)}, rejected {rejected}"
    )
    lines = [
        *(
            f"fork: device {row.device.hex()[:8]} signed two different events at "
            f"#{row.seq} (both kept as evidence; run `warroom verify`)"
            for row in report.forks
        ),
        *(f"refused from the peer: {problem}" for problem in report.rejected_here),
        *(f"refused by the peer: {problem}" for problem in report.rejected_there),
        *(str(regression) for regression in result.regressions),
    ]
    for line in lines:
        click.echo(f"warroom: {one_line(line)}", err=True)
    return result.clean


def _watch(session: Session, link: runner.Link, interval: float, remember: bool) -> bool:
    store = session.store
    version = store.data_version()
    clean = True

    def changed() -> bool:
        nonlocal version
        now = store.data_version()
        moved, version = now != version, now
        return moved

    def on_round(result: runner.Round) -> None:
        nonlocal clean, remember
        remember = False  # saved by the first round that got through
        if result.moved:
            clean = _say(result) and clean

    def on_unreachable(exc: BaseException, delay: float) -> None:
        click.echo(f"warroom: {one_line(str(exc))}; trying again in {delay:.0f} s", err=True)

    def one() -> runner.Round:
        return runner.sync_once(
            store,
            session.header.incident_id,
            link,
            remember_url=remember,
            opens=session.ledger.opens,
            progress=sync_progress(),
        )

    watch = runner.Watch(
        round=one,
        changed=changed,
        unreachable=link.unreachable,
        on_round=on_round,
        on_unreachable=on_unreachable,
        interval=interval,
    )
    click.echo(
        f"watching {runner.shown(link.url)}: every {interval:g} s and on local changes; "
        "Ctrl-C stops",
        err=True,
    )
    with _stopped_by_signals(watch.stop.set):
        watch.run()
    return clean


@contextlib.contextmanager
def _stopped_by_signals(stop: object) -> Iterator[None]:
    """SIGINT and SIGTERM call `stop` (the round under way finishes) instead of
    killing the process; the handlers before are put back after."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in handlers:
        signal.signal(sig, lambda _sig, _frame: stop())  # type: ignore[operator]
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def sync_stdio(path: Path) -> None:
    """Serve the sync-stdio protocol on stdin/stdout for the incident file PATH."""
    from warroom.sync import stdio
    from warroom.sync.peer import StorePeer

    with plain_store(path) as (store, incident_id):
        try:
            peer = StorePeer(store, incident_id)
            stdio.serve(peer, incident_id, sys.stdin.buffer, sys.stdout.buffer)
        except SessionError as exc:
            raise Failure(one_line(str(exc))) from None
        except OSError as exc:  # the pipe went away under a write
            raise Failure(f"sync-stdio: {exc.strerror or exc}") from None
