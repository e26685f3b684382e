"""Sync URLs: which this program takes (check_url: a relay, http(s)://host..., or a
far file, ssh://...), and how one is shown in a message (shown: never a password)."""

from __future__ import annotations

import urllib.parse

from warroom.errors import SessionError
from warroom.sanitize import one_line

SCHEMES = ("https", "http", "ssh")


class BadUrl(SessionError):
    """A sync URL this program cannot use."""


def check_url(url: str) -> str:
    """The URL, stripped (a relay's in one spelling: scheme and host in lower case, no
    trailing slash), if it names a relay (http(s)://host...) or a far file
    (ssh://...); BadUrl with the reason otherwise: an unreadable URL, a port out of
    1-65535, and a relay URL with a user name or password in it (the relay knows
    the incident by its bearer token; httpx would send the password instead of the
    token, and it would stay in the shell's history and the sync settings)."""
    url = url.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in SCHEMES:
        raise BadUrl(
            f"{shown(url)!r} is not a sync URL: give https://relay.example "
            "or ssh://[user@]host[:port]/path/to/inc.db"
        )
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:  # an unclosed [, a bad IPv6 address
        raise BadUrl(f"{shown(url)}: not a URL ({one_line(str(exc))})") from None
    try:
        port = parts.port  # ValueError when not a number or out of 0-65535
    except ValueError:
        port = 0
    if port == 0:
        raise BadUrl(f"{shown(url)}: a bad port (give a number from 1 to 65535)")
    if scheme == "ssh":
        from warroom.sync import ssh

        ssh.parse_url(url)
        return url
    if "@" in parts.netloc:
        raise BadUrl(
            f"{shown(url)}: a relay URL takes no user name or password (the relay knows "
            "the incident by its own token); give https://host[:port][/path]"
        )
    if not parts.hostname or parts.query or parts.fragment:
        raise BadUrl(f"{shown(url)}: a relay URL is https://host[:port][/path]")
    # One relay, one spelling: the anchors that catch a relay going back are kept by URL.
    return urllib.parse.urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", "")
    )


def shown(url: str) -> str:
    """The URL for messages: controls stripped, any password in it left out (also
    from one urllib cannot read, such as an unclosed `[`)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        before, at, host = url.rpartition("@")
        if at:  # what is before the @ may hold a password: keep its scheme alone
            url = f"{before.split(':', 1)[0]}://...@{host}"
        return one_line(url)
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[1]
        url = urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}@{netloc}"))
    return one_line(url)
