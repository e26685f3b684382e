"""`warroom notify`: the bodies of add, list and remove (warroom/cli/notify.py)."""

from __future__ import annotations

from pathlib import Path

import click

from warroom.commands import textin
from warroom.commands.common import Failure, dump_json, unlocked
from warroom.integrations import MAX_SECRET_CHARS
from warroom.records import integration_dict
from warroom.sanitize import one_line


def _secret(secret_file: Path) -> str:
    """The first line of the file, or of standard input for `-`."""
    what = "the secret"
    if str(secret_file) == textin.STDIN:
        return textin.read_bounded(textin.stdin_once(what), what, MAX_SECRET_CHARS).split("\n")[0]
    try:
        with secret_file.open(encoding="utf-8") as fh:
            text = textin.read_bounded(fh, what, MAX_SECRET_CHARS, origin=str(secret_file))
    except OSError as exc:
        raise Failure(f"cannot read {secret_file}: {exc.strerror or exc}") from None
    return text.split("\n")[0]


def add(
    path: Path, kind: str, secret_file: Path, url: str, name: str, passphrase_file: Path | None
) -> None:
    secret = _secret(secret_file)
    with unlocked(path, passphrase_file, fold=True) as session:
        item_id = session.add_integration(kind, secret, url=url, name=name)
    click.echo(item_id)


def listing(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    with unlocked(path, passphrase_file) as session:
        items = [integration_dict(i) for i in session.state.integrations.values()]
    if fmt == "json":
        dump_json(items)
        return
    if not items:
        click.echo("No integrations (warroom notify add PATH --kind ... --secret-file F).")
    for item in items:
        where = f"  {item['url']}" if item["url"] else ""
        label = f"  {item['name']}" if item["name"] else ""
        click.echo(one_line(f"{item['id']}  {item['kind']}{label}  secret {item['secret']}{where}"))


def remove(path: Path, integration_id: str, passphrase_file: Path | None) -> None:
    with unlocked(path, passphrase_file) as session:
        session.remove_integration(integration_id)
    click.echo(f"Removed {integration_id}.")
