"""Codenames: two innocuous words, never one a listener would find alarming."""

from __future__ import annotations

import re

import pytest

from warroom import codename

ALARMING = ("breach", "hack", "attack", "incident", "security", "outage", "malware", "leak")


def test_the_deny_list_holds_the_alarming_words() -> None:
    assert set(ALARMING) <= codename.deny_words()


def test_a_thousand_codenames_are_two_words_and_never_denied() -> None:
    names = [codename.generate() for _ in range(1000)]
    denied = codename.deny_words()
    for name in names:
        assert re.fullmatch(r"[a-z]+-[a-z]+", name), name
        joined = name.replace("-", "")
        assert not any(word in joined for word in denied), name
    assert len(set(names)) > 900  # a re-roll gives another name


@pytest.mark.parametrize(
    "name",
    ["breach-unicorn", "amber-hacker", "quiet-outage", "SECURITY-otter", "at-tack", "in_cident"],
)
def test_alarming_names_are_refused(name: str) -> None:
    assert not codename.is_innocuous(name)


def test_innocuous_names_pass() -> None:
    assert codename.is_innocuous("sapphire-unicorn")
