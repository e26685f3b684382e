"""One relay, one spelling: the anchors that catch a relay serving fewer rows than it
once did are kept by URL, so `HTTP://Relay/` and `http://relay` must be one peer."""

from __future__ import annotations

import pytest

from warroom.sync.urls import BadUrl, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://relay.example:8470",
        "HTTP://Relay.Example:8470",
        "http://RELAY.example:8470/",
        "  http://relay.example:8470//  ",
    ],
)
def test_a_relay_url_has_one_spelling(url: str) -> None:
    assert check_url(url) == "http://relay.example:8470"


def test_the_path_keeps_its_case_and_an_ssh_url_is_left_as_given() -> None:
    assert check_url("https://relay.example/Team/A/") == "https://relay.example/Team/A"
    assert check_url("ssh://ann@Bastion/srv/Inc.db") == "ssh://ann@Bastion/srv/Inc.db"


def test_a_password_is_still_refused_whatever_its_case() -> None:
    with pytest.raises(BadUrl, match="no user name or password"):
        check_url("HTTPS://ann:Hunter2@relay.example")
