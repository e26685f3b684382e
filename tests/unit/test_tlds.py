"""IANA's top-level domains are data apart from code: `data/tlds.txt`, one a line."""

from __future__ import annotations

import inspect
import re
from importlib import resources

from warroom import indicators


def names() -> list[str]:
    text = resources.files("warroom.data").joinpath(indicators.TLD_FILE).read_text("utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_the_list_is_one_lower_case_name_a_line() -> None:
    listed = names()
    assert len(listed) == len(set(listed)) == 1437
    assert listed == sorted(listed)
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in listed)
    assert {"com", "org", "zip", "xn--p1ai", "arpa"} <= set(listed)


def test_the_indicators_read_it_once() -> None:
    assert indicators.tlds() is indicators.tlds()
    assert indicators.tlds() == frozenset(names())
    assert "abogado" not in inspect.getsource(indicators)  # no copy left in the code


def test_a_domain_needs_a_listed_tld() -> None:
    assert [i.value for i in indicators.extract("seen cdn.evil.zip and wiki.corp.local")] == [
        "cdn.evil.zip"
    ]
