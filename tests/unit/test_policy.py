"""The comms policy: the shipped default, custom policies, and clear errors."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from warroom.rules import (
    DraftDoc,
    Policy,
    PolicyError,
    Vendor,
    default_policy,
    lint,
    load_policy_file,
    parse_policy,
)

DEFAULT_TEXT = (files("warroom.data") / "policy.toml").read_text(encoding="utf-8")


def rules(policy: Policy, **draft: object) -> set[str]:
    return {f.rule for f in lint(DraftDoc.from_mapping(draft), policy)}


def test_default_policy_loads() -> None:
    policy = default_policy()
    assert policy.subject == "Attorney Work Project"
    assert policy.prefix == "Attorney Work Project"
    assert policy.internal_domains == ("example.com",)
    assert policy.include_subdomains is False
    assert len(policy.banned_phrases) >= 5
    assert {"move", "to", "a", "secure", "channel"} <= policy.sms_allowed_words
    assert "breach" not in policy.sms_allowed_words
    assert Vendor("Okta", (), ("okta.com",)) in policy.vendors
    assert policy.source_text == DEFAULT_TEXT
    assert default_policy() is policy  # parsed once


def test_default_policy_text_parses_to_the_same_policy() -> None:
    parsed = parse_policy(DEFAULT_TEXT, "copy.toml")
    assert parsed.source == "copy.toml" and parsed.source_text == DEFAULT_TEXT
    fields = ("subject", "internal_domains", "include_subdomains", "banned_phrases", "vendors")
    for name in (*fields, "sms_allowed_words", "chat_prefix"):
        assert getattr(parsed, name) == getattr(default_policy(), name)


def test_default_file_is_commented_for_every_key() -> None:
    lines = DEFAULT_TEXT.splitlines()
    for key in ("subject", "internal_domains", "include_subdomains", "banned_phrases"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        assert lines[at - 1].startswith("#"), key
    for key in ("sms_allowed_words", "vendors", "chat_prefix"):
        assert key in DEFAULT_TEXT


def test_left_out_keys_keep_the_default() -> None:
    policy = parse_policy('subject = "Privileged"\n', "mine.toml")
    assert policy.subject == "Privileged"
    assert policy.prefix == "Privileged"  # the chat prefix follows the subject
    assert policy.internal_domains == default_policy().internal_domains
    assert policy.banned_phrases == default_policy().banned_phrases
    assert policy.vendors == default_policy().vendors
    assert policy.source_text == 'subject = "Privileged"\n'


def test_custom_subject_changes_behaviour() -> None:
    policy = parse_policy('subject = "Privileged and Confidential"\n', "p.toml")
    email = {"channel": "email", "to": ["ann@example.com"], "body": "hello"}
    assert "subject-not-awp" in rules(policy, **email, subject="Attorney Work Project")
    assert "subject-not-awp" not in rules(policy, **email, subject="Privileged and Confidential")
    chat = {"channel": "chat", "body": "Privileged and Confidential: hello"}
    assert "chat-prefix" not in rules(policy, **chat)
    assert "chat-prefix" in rules(default_policy(), **chat)


def test_custom_chat_prefix() -> None:
    policy = parse_policy('chat_prefix = "[AWP]"\n', "p.toml")
    assert policy.subject == "Attorney Work Project" and policy.prefix == "[AWP]"
    assert "chat-prefix" not in rules(policy, channel="chat", body="[AWP] hi", topic="[AWP]x")
    assert "chat-prefix" in rules(policy, channel="chat", body="Attorney Work Project: hi")


def test_custom_domain_changes_behaviour() -> None:
    policy = parse_policy('internal_domains = ["acme.test", "acme-corp.test"]\n', "p.toml")
    email = {"channel": "email", "subject": "Attorney Work Project", "body": "hi"}
    assert "external-needs-gpg" not in rules(policy, **email, to=["Ann <ann@ACME.test>"])
    assert "external-needs-gpg" in rules(policy, **email, to=["ann@example.com"])
    assert "external-needs-gpg" in rules(policy, **email, to=["ann@mail.acme.test"])
    wide = parse_policy('internal_domains = ["acme.test"]\ninclude_subdomains = true\n', "p")
    assert "external-needs-gpg" not in rules(wide, **email, to=["ann@mail.acme.test"])
    assert "external-needs-gpg" in rules(wide, **email, to=["ann@acme.test.evil.net"])


def test_custom_vendor_changes_behaviour() -> None:
    policy = parse_policy(
        'vendors = ["Initech", {name = "Globex", aliases = ["Globex Corp"], '
        'domains = ["globex.test"]}]\n',
        "p.toml",
    )
    assert policy.vendors == (
        Vendor("Initech"),
        Vendor("Globex", ("Globex Corp",), ("globex.test",)),
    )
    statement = {"channel": "statement", "title": "Notice 2026-11-22"}
    assert "vendor-named" in rules(policy, **statement, body="Initech was breached.")
    assert "vendor-named" not in rules(policy, **statement, body="Initech: https://x.test/a")
    assert "vendor-named" in rules(policy, **statement, body="globex corp: https://x.test/a")
    assert "vendor-named" not in rules(
        policy, **statement, body="GLOBEX: https://status.globex.test/n"
    )
    assert "vendor-named" not in rules(policy, **statement, body="Okta was breached.")
    assert "vendor-named" in rules(default_policy(), **statement, body="Okta was breached.")


def test_vendor_tables() -> None:
    text = '[[vendors]]\nname = "Initech"\ndomains = ["initech.test"]\n\n[[vendors]]\nname = "B"\n'
    assert parse_policy(text, "p").vendors == (
        Vendor("Initech", (), ("initech.test",)),
        Vendor("B"),
    )


def test_custom_phrases_and_sms_words() -> None:
    policy = parse_policy(
        "banned_phrases = ['''\\bout of an abundance of caution\\b''']\n"
        'sms_allowed_words = ["go", "to", "wire"]\n',
        "p.toml",
    )
    body = "Out of an  abundance\nof caution, we take security seriously"
    found = rules(policy, channel="chat", body=f"Attorney Work Project: {body}")
    assert "banned-phrase" in found
    assert "banned-phrase" not in rules(policy, channel="chat", body="We take security seriously")
    assert "sms-details" not in rules(policy, channel="sms", body="Go to Wire")
    assert "sms-details" in rules(policy, channel="sms", body="Move to a secure channel")
    assert "banned-phrase" not in rules(
        parse_policy("banned_phrases = []\n", "p"), channel="sms", body="we take it seriously"
    )


BAD = [
    ("syntax", 'subject = "x"\ninternal_domains = ["a.com"\nx = 1\n', 3, "invalid TOML"),
    ("syntax at end", 'subject = "x"\ninternal_domains = [\n', 2, "invalid TOML"),
    ("missing equals", '# policy\nsubject "x"\n', 2, "invalid TOML"),
    ("duplicate key", 'subject = "a"\n\nsubject = "b"\n', 3, "invalid TOML"),
    ("unknown key", 'subject = "x"\n\nsubjet = "y"\n', 3, "unknown policy key 'subjet'"),
    ("unknown table", 'subject = "x"\n[sms]\nallowed = []\n', 2, "unknown policy key 'sms'"),
    ("subject type", "# c\n\nsubject = 3\n", 3, "subject must be a string, not an integer"),
    ("empty subject", 'internal_domains = ["a.com"]\nsubject = "  "\n', 2, "must not be empty"),
    ("spaced subject", 'subject = " AWP"\n', 1, "spaces"),
    ("unknown key first", 'x = 1\nsubject = """A\nB"""\n', 1, "unknown policy key 'x'"),
    ("multiline subject", '\nsubject = """A\nB"""\n', 2, "one line"),
    ("empty chat prefix", 'subject = "x"\nchat_prefix = ""\n', 2, "chat_prefix must not be empty"),
    ("domains not a list", 'internal_domains = "a.com"\n', 1, "must be a list"),
    ("empty domains", 'subject = "x"\n\ninternal_domains = []\n', 3, "at least one domain"),
    (
        "upper-case domain",
        'subject = "x"\ninternal_domains = [\n  "a.com",\n  "Example.com",\n]\n',
        4,
        "'Example.com' is not a plain lower-case ASCII host name",
    ),
    ("unicode domain", 'internal_domains = ["b\u00fccher.de"]\n', 1, "xn--bcher-kva.de"),
    ("wildcard domain", 'subject = "x"\ninternal_domains = ["*.a.com"]\n', 2, "wildcard"),
    ("trailing dot domain", 'internal_domains = ["a.com."]\n', 1, "host name"),
    ("at domain", 'internal_domains = ["@a.com"]\n', 1, "host name"),
    ("single label domain", 'internal_domains = ["intranet"]\n', 1, "host name"),
    ("domain not a string", 'internal_domains = ["a.com", 7]\n', 1, "internal_domains[1]"),
    ("subdomains type", '\ninclude_subdomains = "yes"\n', 2, "true or false"),
    (
        "invalid regex",
        "subject = 'x'\nbanned_phrases = [\n  '''ok''',\n  '''(unclosed''',\n]\n",
        4,
        "banned_phrases[1]: invalid regex '(unclosed'",
    ),
    ("regex matches everything", "banned_phrases = ['''a*''']\n", 1, "matches empty text"),
    (
        "lookbehind (RE2 refuses it)",
        "subject = 'x'\nbanned_phrases = [\n  '''ok''',\n  '''(?<=we )take''',\n]\n",
        4,
        "banned_phrases[1]: invalid regex '(?<=we )take': invalid perl operator: (?<=",
    ),
    (
        "backreference",
        "banned_phrases = [\n  '''(we) \\1''',\n]\n",
        2,
        "banned_phrases[0]: invalid regex '(we) \\\\1': invalid escape sequence: \\1",
    ),
    ("python-only anchor", "\nbanned_phrases = ['''seriously\\Z''']\n", 2, "sequence: \\Z"),
    ("possessive repeat", "banned_phrases = ['''a++b''']\n", 1, "bad repetition operator: ++"),
    ("huge repeat", "banned_phrases = ['''(?:a{1000}){1000}''']\n", 1, "invalid repetition"),
    (
        "pattern too long",
        "banned_phrases = ['''" + "a" * 1_001 + "''']\n",
        1,
        "is 1,001 characters long; the most is 1,000",
    ),
    (
        "too many patterns",
        "# many\nbanned_phrases = [\n" + "".join(f"  '''p{n}''',\n" for n in range(501)) + "]\n",
        2,
        "banned_phrases has 501 patterns; the most is 500",
    ),
    (
        "too many vendor names",
        "\nvendors = [" + ", ".join(f"'V{n}'" for n in range(501)) + "]\n",
        2,
        "vendors name 501 vendors and aliases; the most is 500",
    ),
    ("phrases not a list", "\n\nbanned_phrases = 'x'\n", 3, "must be a list"),
    ("sms word", 'sms_allowed_words = [\n  "ok",\n  "two words",\n]\n', 3, "not one word"),
    ("vendor type", "vendors = [3]\n", 1, "vendors[0] must be a name or a table"),
    (
        "vendor key typo",
        '[[vendors]]\nname = "A"\n\n[[vendors]]\nname = "B"\ndomain = ["b.com"]\n',
        6,
        "unknown vendor key 'domain'",
    ),
    (
        "vendor bad domain",
        '[[vendors]]\nname = "A"\n\n[[vendors]]\nname = "B"\ndomains = ["b.com", "B.net"]\n',
        6,
        "vendors[1].domains",
    ),
    ("vendor no name", '\n[[vendors]]\ndomains = ["b.com"]\n', 2, "needs a name"),
    ("vendor empty alias", 'vendors = [{name = "A", aliases = [""]}]\n', 1, "must not be empty"),
]


@pytest.mark.parametrize(("text", "line", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_policy_names_source_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "team.toml")
    message = str(caught.value)
    assert message.startswith(f"team.toml:{line}: "), message
    assert words in message, message
    assert caught.value.line == line and caught.value.source == "team.toml"
    assert "\n" not in message


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


def test_load_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('subject = "Privileged"\ninternal_domains = ["acme.test"]\n')
    policy = load_policy_file(path)
    assert policy.subject == "Privileged" and policy.source == str(path)
    path.write_text('subject = "Privileged"\nsubjcet = "x"\n')
    with pytest.raises(PolicyError, match=re.escape(f"{path}:2: unknown policy key")):
        load_policy_file(path)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy_file(tmp_path / "missing.toml")
    path.write_bytes(b"subject = '\xff'\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy_file(path)


def test_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        default_policy().subject = "x"  # type: ignore[misc]


def test_the_most_patterns_are_taken() -> None:
    text = "banned_phrases = [" + ", ".join(f"'''p{n}'''" for n in range(500)) + "]\n"
    assert len(parse_policy(text, "p").banned_phrases) == 500


def test_a_policy_over_its_cap_is_refused() -> None:
    text = "# " + "x" * 1_000_000 + "\n"
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "big.toml")
    assert str(caught.value) == (
        "big.toml: the policy is 1,000,003 characters; the most is 1,000,000"
    )


def test_backtracking_patterns_are_accepted_and_still_match() -> None:
    """RE2 takes `(a+)+$` (the issue's pattern): it never backtracks, so there is
    nothing to refuse. That lint of such a pattern finishes fast is attacked in a
    subprocess with a timeout: tests/integration/test_rules_attack.py."""
    policy = parse_policy("banned_phrases = ['''(a+)+$''', '''(x+x+)+y''']\n", "evil.toml")
    assert policy.banned_phrases == ("(a+)+$", "(x+x+)+y")
    assert "banned-phrase" in rules(policy, channel="chat", body="x" * 63_999 + "y")
    assert "banned-phrase" in rules(policy, channel="chat", body="b " + "a" * 63_000)
