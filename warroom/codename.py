"""Innocuous two-word codenames ("sapphire-unicorn") that give nothing away if overheard."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources


@cache
def deny_words() -> frozenset[str]:
    text = resources.files("warroom.data").joinpath("codename_deny.txt").read_text("utf-8")
    return frozenset(
        w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#")
    )


def is_innocuous(name: str) -> bool:
    """No part of the name, nor the name run together, contains a denied word."""
    parts = re.split(r"[-_\s]+", name.lower())
    joined = "".join(parts)
    return not any(word in part for word in deny_words() for part in [*parts, joined])


def generate(tries: int = 200) -> str:
    import coolname  # 10 ms of word lists: only when a name is made, not when one is opened

    for _ in range(tries):
        name = coolname.generate_slug(2)
        if is_innocuous(name):
            return name
    raise RuntimeError("could not find an innocuous codename")  # pragma: no cover
