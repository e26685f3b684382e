"""The comms rules attacked through the command line (issue #10, "the comms rules"):
a policy regex that would backtrack for ever, drafts over the size caps, the SMS the
seed itself recommends, a mixed email that only export used to refuse, and a
privileged email without counsel. Real processes, real gpg."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

SUBJECT = "Attorney Work Project"
IC = "ic@example.com"
LENA = "lena@partner.example"
ZED = "zed@example.com"
FAST = 20
"""Seconds a command may take here: Python's `re` needs minutes to hours for these."""
EVIL = ["(a+)+$", "(x+x+)+y", "(\\w+\\s?)+#$", "(a|aa)+$", "(.*a){20}$"]
"""Patterns that backtrack exponentially in Python's `re` on a run of letters and a
character that breaks the match."""


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def email(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "from": f"Ivy <{IC}>",
        "to": ["ann@example.com"],
        "subject": SUBJECT,
        "body": "The bridge is in room 4.",
    } | fields


def findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["severity"], f["field"]) for f in json.loads(proc.stdout)]


def evil_policy(path: Path) -> Path:
    lines = ",\n".join(f"    '''{p}'''" for p in EVIL)
    return write(path, f"# hostile\nbanned_phrases = [\n{lines},\n]\n")


# -- 1. a policy regex cannot hang a command ---------------------------------------------


def test_lint_with_a_backtracking_policy_regex_finishes_fast(cli, tmp_path: Path) -> None:
    policy = evil_policy(tmp_path / "evil.toml")
    short = write(tmp_path / "short.json", email(body="a" * 30 + "!"))
    capped = write(tmp_path / "capped.json", email(body="a" * 63_999 + "!"))
    proc = cli("lint", "--json", "--policy", policy, short, capped, timeout=FAST)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    # and a body the patterns do match is still reported, once
    matched = write(tmp_path / "m.json", email(body="a" * 40))
    proc = cli("lint", "--json", "--policy", policy, matched, timeout=FAST)
    assert proc.returncode == 1
    assert findings(proc) == [("banned-phrase", "error", "body")]


def test_an_incident_with_a_backtracking_policy_still_lists_its_drafts(
    cli, incident: Path, tmp_path: Path
) -> None:
    policy = evil_policy(tmp_path / "evil.toml")
    proc = cli("policy", "set", incident, policy, timeout=FAST)
    assert proc.returncode == 0, proc.stderr
    draft = write(tmp_path / "d.json", email(body="a" * 30 + "!"))
    assert cli("draft", "add", incident, draft, timeout=FAST).returncode == 0
    proc = cli("draft", "list", incident, "--format", "json", timeout=FAST)
    assert proc.returncode == 0, proc.stderr
    [listed] = json.loads(proc.stdout)
    assert [f["rule"] for f in listed["findings"] if f["severity"] == "error"] == []


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("(?<=we )take", "invalid perl operator: (?<="),
        ("(we) take \\1", "invalid escape sequence: \\1"),
        ("seriously\\Z", "invalid escape sequence: \\Z"),
        ("(?>we take)", "invalid perl operator: (?>"),
    ],
    ids=["lookbehind", "backreference", "python-only-anchor", "atomic-group"],
)
def test_a_pattern_re2_cannot_take_is_refused_with_file_and_line(
    cli, incident: Path, tmp_path: Path, pattern: str, says: str
) -> None:
    policy = write(
        tmp_path / "policy.toml",
        f"# ours\nbanned_phrases = [\n    '''ok''',\n    '''{pattern}''',\n]\n",
    )
    for args in (("lint", "--policy", policy, write(tmp_path / "d.json", email())),
                 ("policy", "set", incident, policy)):  # fmt: skip
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        [line] = proc.stderr.splitlines()
        assert line.startswith(f"warroom: {policy}:4: banned_phrases[1]: invalid regex "), line
        assert says in line and "RE2" in line
        assert proc.stdout == ""


def test_too_many_patterns_are_refused(cli, tmp_path: Path) -> None:
    patterns = ",\n".join(f"    '''phrase number {n}'''" for n in range(501))
    policy = write(tmp_path / "policy.toml", f"\nbanned_phrases = [\n{patterns},\n]\n")
    proc = cli("lint", "--policy", policy, write(tmp_path / "d.json", email()))
    assert proc.returncode == 2
    assert proc.stderr == (
        f"warroom: {policy}:2: banned_phrases has 501 patterns; the most is 500\n"
    )


# -- 2. drafts over the caps --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"body": "x" * 64_001}, "the body is 64,001 characters; the most is 64,000"),
        (
            {"body": "we take security seriously " * 400_000},
            "the body is 10,800,000 characters; the most is 64,000",
        ),
        ({"subject": "x" * 501}, "the subject is 501 characters; the most is 500"),
        (
            {"to": [f"p{n}@example.com" for n in range(10_001)]},
            "the draft has 10,001 recipients (To, Cc and Bcc); the most is 10,000",
        ),
        ({"cc": ["a" * 490 + "@example.com"]}, "Cc address 1 is 502 characters; the most is 500"),
    ],
    ids=["body", "ten-megabytes", "subject", "recipients", "address"],
)
def test_lint_refuses_a_draft_over_a_cap_in_one_line(
    cli, tmp_path: Path, fields: dict[str, Any], says: str
) -> None:
    big = write(tmp_path / "big.json", email(**fields))
    ok = write(tmp_path / "ok.json", email())
    proc = cli("lint", "--json", big, ok, timeout=FAST)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"warroom: {big}: {says}"], proc.stderr
    assert json.loads(proc.stdout) == []  # the draft within the caps is clean


def test_a_draft_over_a_cap_is_not_added_to_an_incident(
    cli, incident: Path, tmp_path: Path
) -> None:
    big = write(tmp_path / "big.json", email(body="x" * 64_001))
    proc = cli("draft", "add", incident, big)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"warroom: {big}: the body is 64,001 characters; the most is 64,000"
    ]
    assert cli("draft", "list", incident).stdout == ""


# -- 3. the SMS the seed recommends ---------------------------------------------------------


def test_please_join_slack_asap_is_the_one_allowed_sms(cli, tmp_path: Path) -> None:
    paths = [
        write(tmp_path / f"sms{n}.json", {"channel": "sms", "to": ["+15550100"], "body": body})
        for n, body in enumerate(
            ["Please join Slack ASAP", "Join the Teams call now", "Move to Zoom, bridge in 5 min"]
        )
    ]
    proc = cli("lint", "--json", *paths)
    assert proc.returncode == 0, proc.stdout
    assert [(f["file"], f["rule"], f["severity"]) for f in json.loads(proc.stdout)] == [
        (str(p), "sms-channel", "warning") for p in paths
    ]


# -- 5. a mixed email: encrypted, so everyone on it needs a key -----------------------------


@pytest.fixture
def home(gpg_env) -> Any:
    """Keys for the external recipient and the sender; none for zed (internal)."""
    ring = gpg_env()
    ring.gen_key(f"Lena <{LENA}>")
    ring.gen_key(f"Ivy <{IC}>")
    return ring


def test_lint_says_a_mixed_email_needs_the_internal_recipients_key(
    cli, tmp_path: Path, home: Any
) -> None:
    mixed = write(tmp_path / "mixed.json", email(to=[LENA], cc=[f"Zed <{ZED}>"]))
    proc = cli("lint", "--json", "--gnupghome", home.path, mixed)
    assert proc.returncode == 1
    [finding] = json.loads(proc.stdout)
    assert (finding["rule"], finding["severity"], finding["field"]) == (
        "encrypted-needs-keys",
        "error",
        "cc",
    )
    assert finding["message"].startswith(f"{ZED} has no usable public key (missing")


def test_a_mixed_email_is_not_approved_until_everyone_has_a_key(
    cli, incident: Path, tmp_path: Path, home: Any
) -> None:
    mixed = write(tmp_path / "mixed.json", email(to=[LENA], cc=[ZED]))
    draft_id = cli("draft", "add", incident, mixed).stdout.strip()
    proc = cli("draft", "approve", incident, draft_id, "--gnupghome", home.path)
    assert proc.returncode == 1
    errors = [line for line in proc.stdout.splitlines() if ": error: " in line]
    assert len(errors) == 1, proc.stdout
    assert errors[0].startswith(
        f"{draft_id}: error: encrypted-needs-keys [cc]: {ZED} has no usable public key"
    ), errors
    assert errors[0].endswith(
        "the email goes encrypted (it has a recipient outside the company), "
        "so every recipient needs one"
    ), errors
    assert f"draft {draft_id} not approved" in proc.stderr
    # with zed's key, approval and then export go through
    home.gen_key(f"Zed <{ZED}>")
    proc = cli("draft", "approve", incident, draft_id, "--gnupghome", home.path)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    out = tmp_path / "out"
    proc = cli("export", incident, "drafts", "--out", out, "--gnupghome", home.path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    [record] = [r for r in manifest["files"] if r["draft"] == draft_id]
    assert record["form"] == "encrypted"
    assert len(record["encrypted_to"]) == 3  # lena, zed and the sender


# -- 6. privilege needs counsel ---------------------------------------------------------------


def demo_incident(cli, tmp_path: Path) -> tuple[Path, Path]:
    """The demo incident: Lena Fischer <lena@counsel-partners.example> holds `legal`."""
    where = tmp_path / "demo"
    where.mkdir()
    proc = cli("demo", "--dir", where, "--no-open", passphrase_file=None)
    assert proc.returncode == 0, proc.stderr
    [path] = where.glob("*.db")
    [passphrase] = where.glob("*.pass")
    return path, passphrase


def test_a_privileged_email_without_counsel_is_warned(cli, tmp_path: Path) -> None:
    path, passphrase = demo_incident(cli, tmp_path)
    without = write(tmp_path / "without.json", email(to=["priya@example.com"]))
    with_counsel = write(
        tmp_path / "with.json",
        email(to=["priya@example.com"], cc=["Lena <lena@counsel-partners.example>"]),
    )
    ids = [
        cli("draft", "add", path, p, passphrase_file=passphrase).stdout.strip()
        for p in (without, with_counsel)
    ]
    proc = cli("draft", "list", path, "--format", "json", passphrase_file=passphrase)
    assert proc.returncode == 0, proc.stderr
    by_id = {d["id"]: d for d in json.loads(proc.stdout)}
    warned = [f for f in by_id[ids[0]]["findings"] if f["rule"] == "privilege-needs-counsel"]
    assert [(f["severity"], f["field"]) for f in warned] == [("warning", "to")]
    assert "lena@counsel-partners.example" in warned[0]["message"]
    assert "privilege-needs-counsel" not in {f["rule"] for f in by_id[ids[1]]["findings"]}
