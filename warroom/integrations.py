"""Integrations: where an incident's messages may leave for (warroom notify), and what
a valid one of each kind looks like.

The secret of each (a PagerDuty routing key, a webhook's URL, a Slack bot token)
lives only inside the encrypted incident file, as every event does: it comes in from
a file or standard input (never the command line), is never written to the timeline
or a log, and is shown masked (records.masked). `url` is an endpoint that is not a
secret: the API base for PagerDuty or Slack, when not the default (a test server, a
proxy, PagerDuty's EU service).
"""

from __future__ import annotations

import re
import urllib.parse

from warroom import events as ev
from warroom import limits

DEFAULT_URLS = {
    "pagerduty": "https://events.pagerduty.com",
    "slack-bot": "https://slack.com/api",
}
"""The API base of the kinds that have one (`--url` replaces it)."""
MAX_SECRET_CHARS = 2048

_ROUTING_KEY = re.compile(r"[A-Za-z0-9]{20,64}")
_BOT_TOKEN = re.compile(r"xox[abp]-[A-Za-z0-9-]{10,250}")


class IntegrationError(ValueError):
    """An integration that cannot be used as given: the message says why (never the
    secret)."""


def check(kind: str, secret: str, url: str = "", name: str = "") -> tuple[str, str, str]:
    """(secret, url, name), checked for the kind; IntegrationError otherwise."""
    if kind not in ev.INTEGRATION_KINDS:
        raise IntegrationError(f"kind must be one of {', '.join(ev.INTEGRATION_KINDS)}")
    secret = secret.strip()
    if not secret:
        raise IntegrationError(f"a {kind} integration needs its secret ({_SECRETS[kind]})")
    if len(secret) > MAX_SECRET_CHARS or not secret.isprintable():
        raise IntegrationError(f"that is not a {_SECRETS[kind]}")
    if kind == "pagerduty" and not _ROUTING_KEY.fullmatch(secret):
        raise IntegrationError("that is not a PagerDuty routing key (20-64 letters and digits)")
    if kind == "slack-bot" and not _BOT_TOKEN.fullmatch(secret):
        raise IntegrationError("that is not a Slack bot token (xoxb-...)")
    if kind in ("slack", "webhook"):
        _check_url(secret, f"the {kind} URL (the secret)", shown=False)
    if url:
        if kind not in DEFAULT_URLS:
            raise IntegrationError(
                f"--url is for pagerduty and slack-bot; a {kind}'s URL is its secret"
            )
        _check_url(url, "--url", shown=True)
    try:
        limits.check_text("the name", name, limits.MAX_LINE_CHARS)
    except ValueError as exc:
        raise IntegrationError(str(exc)) from None
    return secret, url.rstrip("/"), name.strip()


_SECRETS = {
    "pagerduty": "routing key",
    "slack": "incoming webhook URL",
    "webhook": "webhook URL",
    "slack-bot": "bot token",
}


def _check_url(url: str, what: str, *, shown: bool) -> None:
    parts = urllib.parse.urlsplit(url)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        where = f" ({url})" if shown else ""
        raise IntegrationError(f"{what} must be https://...{where} (http:// only to this machine)")
    if not parts.hostname:
        raise IntegrationError(f"{what} has no host")
