"""Look-alike letters, hidden characters and separators against the comms rules
(findings 1-3 of the comms exploration): the banned phrase and the private title
must not pass under a disguise, and text that hides what it says is refused."""

from __future__ import annotations

import pytest

from warroom.rules import RULES, Context, DraftDoc, default_policy, lint
from warroom.rules.text import fold, variants

PHRASE = "We take security very seriously"
TITLE = "Secret Payroll Breach"
AWP = "Attorney Work Project"


def errors(draft: DraftDoc, title: str | None = None) -> dict[str, list[str]]:
    """rule -> messages of the errors lint finds."""
    out: dict[str, list[str]] = {}
    for f in lint(draft, default_policy(), Context(title=title)):
        if f.severity == "error":
            out.setdefault(f.rule, []).append(f.message)
    return out


def statement(body: str, title: str = "Update 2026-12-02") -> DraftDoc:
    return DraftDoc(channel="statement", title=title, body=body)


def chat(body: str) -> DraftDoc:
    return DraftDoc(channel="chat", body=body)


def test_new_rules_are_listed_as_errors() -> None:
    assert RULES["hidden-characters"].severity == "error"
    assert RULES["mixed-script"].severity == "error"


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (PHRASE.replace("take", "t\u0430ke"), "mixed-script"),  # Cyrillic a
        (PHRASE.replace("seriously", "s\u0435riously"), "mixed-script"),  # Cyrillic e
        (PHRASE.replace("e", "\u0435"), "mixed-script"),  # every e Cyrillic
        (PHRASE.replace("a", "\u0251"), "banned-phrase"),  # Latin alpha
        (PHRASE.replace("l", "I"), "banned-phrase"),  # seriousIy
        (PHRASE + "\u0301", "banned-phrase"),  # combining acute
        (PHRASE.replace("take", "\u1d1b\u1d00\u1d0b\u1d07"), "banned-phrase"),  # small capitals
        (PHRASE.replace("very", "v\u0131ery").replace("i", "\u0269"), "banned-phrase"),
        ("\u202eylsuoires yrev ytiruces ekat eW\u202c", "hidden-characters"),  # reads as PHRASE
        (PHRASE.replace("seriously", "seri\u200bously"), "banned-phrase"),
    ],
    ids=[
        "cyr-a",
        "cyr-e",
        "cyr-all-e",
        "latin-alpha",
        "capital-I",
        "combining",
        "small-caps",
        "dotless-and-iota",
        "rlo",
        "zwsp",
    ],
)
def test_disguised_banned_phrase_is_refused(body: str, rule: str) -> None:
    assert rule in errors(statement(body))


def test_mixed_script_names_the_word_and_the_odd_letter() -> None:
    (message,) = errors(statement(PHRASE.replace("seriously", "s\u0435riously")))["mixed-script"]
    assert '"s\u0435riously"' in message
    assert "U+0435" in message and "Cyrillic" in message


@pytest.mark.parametrize(
    "body",
    [
        "Le service a été rétabli; nous prenons des mesures sérieuses.",
        "Naïve café façade: the coördinated reset finished at 14:00.",
        "Письмо отправлено. Ἀθῆναι office informed. Latency 5µm / 200 µs.",
        "The iPhone and macOS clients were updated; WiFi is back. Ilya and Ivan rotated keys.",
        "Install Ilias' patch; NIST's guidance; DNSSEC; McAfee; SaaS; ID 42.",
    ],
)
def test_ordinary_text_is_clean(body: str) -> None:
    assert errors(statement(body)) == {}


def test_fold_and_variants() -> None:
    assert fold("S\u0251fe\u0301 \u029f\u1d0f\u0262") == "safe log"
    assert "seriously" in variants("seriousIy")[-1]
    assert variants("plain") == ["plain"]


@pytest.mark.parametrize(
    "text",
    [
        "Secret-Payroll-Breach",
        "SecretPayrollBreach",
        "Secret Payroll B\u200breach",
        "S e c r e t Payroll Breach",
        "secret_payroll.breach",
        "Secret Payro\u0301ll Breach",
        "SECRET PAYROLL BREACH",
        "secret  payroll\nbreach",
    ],
)
def test_title_variants_in_chat_are_refused(text: str) -> None:
    assert "chat-codename" in errors(chat(f"{AWP}: {text} update"), TITLE)


def test_title_with_a_cyrillic_letter_is_refused_by_mixed_script() -> None:
    found = errors(chat(f"{AWP}: Secret Payr\u043ell Breach"), TITLE)
    assert "mixed-script" in found


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (TITLE, "the secret payroll run is fine"),
        ("Ops", "we stopped o-p-s and o p s"),  # too short for the joined form
        ("Mars", "ma rs; m.a.r.s"),
        ("Blue", "b-l-u-e skies"),
    ],
)
def test_title_not_named(title: str, text: str) -> None:
    assert "chat-codename" not in errors(chat(f"{AWP}: {text}"), title)


@pytest.mark.parametrize(
    ("title", "text"),
    [("Blue Moon", "blue-moon"), ("Nightingale", "night-in-gale"), ("Mars", "about mars")],
)
def test_title_named(title: str, text: str) -> None:
    assert "chat-codename" in errors(chat(f"{AWP}: {text}"), title)


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (chat(f"{AWP}: \x1b]52;c;cm0gLXJmIH4=\x07 hi"), "body"),
        (chat(f"{AWP}: hi \x9b31m C1"), "body"),
        (statement("x", title="2026-12-02 \x1b[31mRED\x1b[0m"), "title"),
        (DraftDoc(channel="sms", to=("+1555\x1b[2J",), body="move to signal"), "to"),
        (chat(f"{AWP}: a\u2066b\u2069"), "body"),
        (chat(f"{AWP}: zero\u2060width"), "body"),
        (chat(f"{AWP}: bom\ufeffinside"), "body"),
        (chat(f"{AWP}: carriage\roverwrite"), "body"),
        (chat(f"{AWP}: tag\U000e0041chars"), "body"),
        (DraftDoc(channel="email", subject=AWP + "\u200e", body="x"), "subject"),
        (DraftDoc(channel="chat", topic=f"{AWP}: \x07", body=f"{AWP}: hi"), "topic"),
    ],
)
def test_hidden_characters_refused(draft: DraftDoc, field: str) -> None:
    findings = [f for f in lint(draft, default_policy()) if f.rule == "hidden-characters"]
    assert [f.field for f in findings] == [field]
    assert "U+" in findings[0].message and "\x1b" not in findings[0].message


def test_newlines_tabs_and_crlf_are_fine() -> None:
    draft = DraftDoc(channel="email", subject=AWP, body="Status:\r\n\tthe bridge\nis at 14:00.\r\n")
    assert not [f for f in lint(draft, default_policy()) if f.rule == "hidden-characters"]
