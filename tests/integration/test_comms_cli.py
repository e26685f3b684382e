"""The comms commands end to end (issue #4): `warroom lint`, `rules`, `draft add /
list / approve`, `policy set / show` and `init --policy`, through the real command
line in a subprocess, with real gpg for the recipients' keys."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SUBJECT = "Attorney Work Project"
ANN = "ann@example.com"
BOB = "bob@partner.net"
CAROL = "carol@partner.net"
DOMAIN = "zq7-distinctive-counsel.example"
"""The internal domain of the custom policy: must never be stored in clear."""
CUSTOM_POLICY = f"""# our own policy
subject = "Privileged and Confidential"
internal_domains = ["{DOMAIN}", "partner.net"]
include_subdomains = false
"""
FINDING_KEYS = {"file", "rule", "severity", "message", "field"}


@dataclass
class Keys:
    home: Any
    """Holds a valid key for bob@partner.net and an expired one for carol@partner.net."""
    empty: Any
    bob: str


@pytest.fixture(scope="module")
def keys(gpg_env_module) -> Keys:
    home, other, empty = gpg_env_module(), gpg_env_module(), gpg_env_module()
    bob = home.gen_key(f"Bob Partner <{BOB}>")
    home.gen_key("Ivy <ic@example.com>")  # the sender: an encrypted mail goes to her too
    other.give(home, other.gen_expired_key(f"Carol <{CAROL}>"))
    return Keys(home, empty, bob)


@pytest.fixture(scope="module", autouse=True)
def no_default_gnupghome(keys: Keys) -> Iterator[None]:
    """Without --gnupghome the commands read $GNUPGHOME: an empty home, never ~/.gnupg."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GNUPGHOME", str(keys.empty.path))
        yield


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def email(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "from": "Ivy <ic@example.com>",
        "to": [ANN],
        "subject": SUBJECT,
        "body": "The bridge is in room 4.",
    } | fields


def lint_json(proc: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    findings = json.loads(proc.stdout)
    assert isinstance(findings, list)
    for finding in findings:
        assert set(finding) == FINDING_KEYS
    return findings


# -- warroom lint ---------------------------------------------------------------------


def test_lint_clean_draft_exits_0(cli, tmp_path: Path) -> None:
    draft = write(tmp_path / "clean.json", email())
    proc = cli("lint", draft)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{draft}: ok\n" and proc.stderr == ""
    proc = cli("lint", "--json", draft)
    assert proc.returncode == 0 and lint_json(proc) == []


def test_lint_errors_exit_1_with_rule_severity_and_field(cli, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.json",
        email(subject="Re: " + SUBJECT, body="We take your security very seriously."),
    )
    proc = cli("lint", bad)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"{bad}: error: subject-not-awp [subject]: " in lines[0]
    assert any(line.startswith(f"{bad}: error: banned-phrase [body]: ") for line in lines)

    proc = cli("lint", "--json", bad, write(tmp_path / "ok.json", email()))
    assert proc.returncode == 1
    findings = lint_json(proc)
    assert {(f["file"], f["rule"], f["severity"], f["field"]) for f in findings} == {
        (str(bad), "subject-not-awp", "error", "subject"),
        (str(bad), "banned-phrase", "error", "body"),
    }
    assert all(f["message"] for f in findings)


def test_lint_warnings_alone_exit_0(cli, tmp_path: Path) -> None:
    sms = write(tmp_path / "sms.json", {"channel": "sms", "body": "move to the secure channel"})
    proc = cli("lint", "--json", sms)
    assert proc.returncode == 0
    assert [(f["rule"], f["severity"]) for f in lint_json(proc)] == [("sms-channel", "warning")]
    leaky = write(tmp_path / "leak.json", {"channel": "sms", "body": "breach on db-01, call me"})
    proc = cli("lint", "--json", leaky)
    assert proc.returncode == 1
    assert "sms-details" in {f["rule"] for f in lint_json(proc)}


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.json", None, "cannot read"),
        ("bad.json", '{"channel": "email",\n "to": [}', "bad.json:2: invalid JSON"),
        ("types.json", {"channel": "email", "to": 5}, "to must be a list of addresses"),
        ("body.json", {"channel": "chat", "body": ["x"]}, "body must be a string"),
        ("channel.json", {"channel": "fax"}, "channel must be one of"),
        ("unknown.json", {"channel": "email", "subjet": SUBJECT}, "unknown key 'subjet'"),
        ("list.json", [email()], "must be a JSON object"),
        ("draft.txt", "hello", "not a draft file"),
        ("latin1.json", b'{"body": "caf\xe9"}', "not UTF-8"),
        ("empty.eml", "\n\nno headers at all\n", "not an email"),
    ],
)
def test_lint_unreadable_input_exits_2_naming_the_file(
    cli, tmp_path: Path, name: str, content: Any, says: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        write(path, content)
    good = write(tmp_path / "good.json", email(subject="wrong"))
    proc = cli("lint", good, path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith(f"warroom: {path}")
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr
    # the readable file is still reported
    assert f"{good}: error: subject-not-awp" in proc.stdout


def test_lint_an_eml_draft(cli, tmp_path: Path) -> None:
    def eml(subject: str, to: str) -> Path:
        return write(
            tmp_path / f"{len(list(tmp_path.iterdir()))}.eml",
            f"From: Ivy <ic@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nThe bridge is in room 4.\r\n",
        )

    assert cli("lint", eml(SUBJECT, f'"Ann Lee" <{ANN}>')).returncode == 0
    proc = cli("lint", "--json", eml("Fwd: " + SUBJECT, ANN))
    assert proc.returncode == 1
    assert [f["rule"] for f in lint_json(proc)] == ["subject-not-awp"]
    # an external recipient in an .eml, and a Bcc header: found, and needs a key
    path = write(
        tmp_path / "bcc.eml",
        f"From: ic@example.com\r\nTo: {ANN}\r\nBcc: Carl <carl@elsewhere.example>\r\n"
        f"Subject: {SUBJECT}\r\n\r\nhello\r\n",
    )
    proc = cli("lint", "--json", path)
    assert proc.returncode == 1
    # ... and, the mail going encrypted, so do the internal recipient and the sender
    assert [(f["rule"], f["field"]) for f in lint_json(proc)] == [
        ("external-needs-gpg", "bcc"),
        ("encrypted-needs-keys", "to"),
        ("encrypted-needs-keys", "from"),
    ]
    assert "carl@elsewhere.example" in lint_json(proc)[0]["message"]


def test_lint_with_a_custom_policy(cli, tmp_path: Path) -> None:
    policy = write(tmp_path / "policy.toml", CUSTOM_POLICY)
    default_ok = write(tmp_path / "a.json", email())
    custom_ok = write(tmp_path / "b.json", email(subject="Privileged and Confidential", to=[BOB]))
    assert cli("lint", default_ok).returncode == 0
    assert cli("lint", custom_ok).returncode == 1  # wrong subject; bob is external
    proc = cli("lint", "--json", "--policy", policy, default_ok, custom_ok)
    assert proc.returncode == 1
    findings = lint_json(proc)
    # under the custom policy: the default subject is wrong, and example.com is external
    # (the recipient and the sender, both without a key)
    assert {(f["file"], f["rule"]) for f in findings} == {
        (str(default_ok), "subject-not-awp"),
        (str(default_ok), "external-needs-gpg"),
        (str(default_ok), "encrypted-needs-keys"),
    }
    assert cli("lint", "--policy", policy, custom_ok).returncode == 0


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ('# ours\nsubject = "X"\nsubjekt = "Y"\n', 3, "subjekt"),
        ('subject = "X"\ninternal_domains = ["example.com"\n', 2, ""),
        ('# ours\n\n\ninternal_domains = "example.com"\n', 4, "internal_domains"),
        ('subject = "X"\nbanned_phrases = ["(unclosed"]\n', 2, "banned_phrases"),
        ('internal_domains = ["Example.COM"]\n', 1, "internal_domains"),
    ],
    ids=["unknown-key", "toml-syntax", "wrong-type", "bad-regex", "bad-domain"],
)
def test_lint_with_a_bad_policy_exits_2_naming_file_and_line(
    cli, tmp_path: Path, text: str, line: int, says: str
) -> None:
    policy = write(tmp_path / "policy.toml", text)
    proc = cli("lint", "--policy", policy, write(tmp_path / "d.json", email()))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith(f"warroom: {policy}:{line}: "), proc.stderr
    assert says in proc.stderr
    assert proc.stdout == ""


def test_lint_gnupghome_makes_an_external_recipient_with_a_key_pass(
    cli, tmp_path: Path, keys: Keys
) -> None:
    to_bob = write(tmp_path / "bob.json", email(to=[f"Bob <{BOB}>"]))
    proc = cli("lint", "--json", to_bob)  # $GNUPGHOME is empty
    assert proc.returncode == 1
    # (the sender's key is missing too: encrypted-needs-keys, tests/integration/test_rules_attack)
    finding, sender = lint_json(proc)
    assert (sender["rule"], sender["field"]) == ("encrypted-needs-keys", "from")
    assert finding["rule"] == "external-needs-gpg" and finding["field"] == "to"
    assert BOB in finding["message"] and "missing" in finding["message"]
    proc = cli("lint", "--gnupghome", keys.home.path, to_bob)
    assert proc.returncode == 0, proc.stdout
    # an expired key does not count, and says so
    to_carol = write(tmp_path / "carol.json", email(cc=[CAROL]))
    proc = cli("lint", "--json", "--gnupghome", keys.home.path, to_carol)
    assert proc.returncode == 1
    finding, ann = lint_json(proc)  # ann (internal, in To) has no key for the encrypted mail
    assert (ann["rule"], ann["field"]) == ("encrypted-needs-keys", "to")
    assert CAROL in finding["message"] and "expired" in finding["message"]
    assert finding["field"] == "cc"
    # a home that is not there is an error of its own
    proc = cli("lint", "--gnupghome", tmp_path / "nope", to_bob)
    assert proc.returncode == 2 and "no such GnuPG home" in proc.stderr


def test_rules_lists_every_contract_id(cli) -> None:
    proc = cli("rules")
    assert proc.returncode == 0
    listed = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()}
    for rule in (
        "subject-not-awp", "chat-prefix", "external-needs-gpg", "sms-details",
        "banned-phrase", "statement-undated",
    ):  # fmt: skip
        assert listed[rule] == "error"
    assert listed["sms-channel"] == "warning"


# -- drafts in an incident ----------------------------------------------------------------


def test_draft_add_list_and_approve(cli, incident: Path, tmp_path: Path, keys: Keys) -> None:
    clean = write(tmp_path / "clean.json", email(to=[f"Bob <{BOB}>"]))
    bad = write(tmp_path / "bad.json", email(subject="Update", body="We take security seriously"))
    proc = cli("draft", "add", incident, clean)
    assert proc.returncode == 0, proc.stderr
    clean_id = proc.stdout.strip()
    assert re.fullmatch(r"[a-z0-9]{4,}", clean_id)
    bad_id = cli("draft", "add", incident, bad).stdout.strip()
    assert bad_id and bad_id != clean_id

    home = ["--gnupghome", keys.home.path]
    listed = json.loads(cli("draft", "list", incident, "--format", "json", *home).stdout)
    by_id = {d["id"]: d for d in listed}
    assert set(by_id) == {clean_id, bad_id}
    assert by_id[clean_id]["status"] == "draft" and by_id[clean_id]["subject"] == SUBJECT
    assert by_id[clean_id]["to"] == [f"Bob <{BOB}>"]
    rules = {i: {(f["rule"], f["severity"]) for f in d["findings"]} for i, d in by_id.items()}
    assert ("subject-not-awp", "error") in rules[bad_id]
    assert ("banned-phrase", "error") in rules[bad_id]
    assert not [r for r in rules[clean_id] if r[1] == "error"]
    for d in listed:
        assert all(set(f) == {"rule", "severity", "message", "field"} for f in d["findings"])

    text = cli("draft", "list", incident, *home).stdout.splitlines()
    [line] = [x for x in text if x.startswith(bad_id)]
    assert re.match(rf"{bad_id}\s+email\s+draft\s+2 errors, \d+ warnings\s+Update$", line)

    # without the keyring, bob has no key: the clean draft has an error there
    proc = cli("draft", "approve", incident, clean_id)
    assert proc.returncode == 1 and "external-needs-gpg" in proc.stdout

    proc = cli("draft", "approve", incident, bad_id, *home)
    assert proc.returncode == 1
    assert f"{bad_id}: error: subject-not-awp [subject]" in proc.stdout
    assert f"{bad_id}: error: banned-phrase [body]" in proc.stdout
    assert f"warroom: draft {bad_id} not approved: fix the errors first" in proc.stderr

    proc = cli("draft", "approve", incident, clean_id, *home)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"{clean_id}: approved"
    statuses = {
        d["id"]: d["status"]
        for d in json.loads(cli("draft", "list", incident, "--format", "json", *home).stdout)
    }
    assert statuses == {clean_id: "approved", bad_id: "draft"}

    proc = cli("draft", "approve", incident, "dnope", *home)
    assert proc.returncode == 2 and "no draft 'dnope'" in proc.stderr


def test_draft_add_refuses_an_unreadable_file(cli, incident: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '{"channel": "email", "to": 5}')
    proc = cli("draft", "add", incident, bad)
    assert proc.returncode == 2 and "to must be a list of addresses" in proc.stderr
    proc = cli("draft", "list", incident)
    assert proc.returncode == 0 and proc.stdout == ""


def test_draft_add_from_an_eml_file(cli, incident: Path, tmp_path: Path) -> None:
    path = write(
        tmp_path / "d.eml",
        f"From: ic@example.com\r\nTo: Ann <{ANN}>\r\nCc: zed@example.com\r\n"
        f"Subject: {SUBJECT}\r\n\r\nRoom 4 at 14:30.\r\n",
    )
    draft_id = cli("draft", "add", incident, path).stdout.strip()
    [draft] = json.loads(cli("draft", "list", incident, "--format", "json").stdout)
    assert draft["id"] == draft_id and draft["channel"] == "email"
    assert draft["to"] == [f"Ann <{ANN}>"] and draft["cc"] == ["zed@example.com"]
    assert draft["body"].replace("\r\n", "\n") == "Room 4 at 14:30.\n"
    assert cli("draft", "approve", incident, draft_id).returncode == 0


def test_incident_lint_matches_file_lint(cli, incident: Path, tmp_path: Path, keys: Keys):
    """A draft in the incident is read as `warroom lint` reads the same file: an email
    to a partner is not "internal communication", whatever the incident's defaults."""
    path = write(tmp_path / "d.json", email(to=[BOB]))
    draft_id = cli("draft", "add", incident, path).stdout.strip()
    [draft] = json.loads(
        cli("draft", "list", incident, "--format", "json", "--gnupghome", keys.home.path).stdout
    )
    assert draft["id"] == draft_id
    in_incident = {f["rule"] for f in draft["findings"]}
    assert "internal-before-forensics" not in in_incident
    # the roster warnings are the incident's own: the file has no roster (nobody on it
    # holds the legal role, so the privileged mail has no counsel on it)
    assert in_incident == {"recipient-not-on-roster", "privilege-needs-counsel"}


# -- the policy ---------------------------------------------------------------------------


def test_policy_show_prints_the_default_with_a_note(cli, incident: Path) -> None:
    proc = cli("policy", "show", incident)
    assert proc.returncode == 0
    assert proc.stderr == "warroom: this incident uses the default policy\n"
    assert 'subject = "Attorney Work Project"' in proc.stdout
    assert 'internal_domains = ["example.com"]' in proc.stdout


def test_policy_set_then_show_and_the_rules_follow(
    cli, incident: Path, tmp_path: Path, settle
) -> None:
    draft_id = cli("draft", "add", incident, write(tmp_path / "d.json", email())).stdout.strip()
    assert cli("draft", "approve", incident, draft_id).returncode == 0
    policy = write(tmp_path / "ours.toml", CUSTOM_POLICY)
    proc = cli("policy", "set", incident, policy)
    assert proc.returncode == 0, proc.stderr
    assert DOMAIN in proc.stdout
    proc = cli("policy", "show", incident)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == CUSTOM_POLICY
    # the rules now read the incident's policy
    [draft] = json.loads(cli("draft", "list", incident, "--format", "json").stdout)
    errors = {f["rule"] for f in draft["findings"] if f["severity"] == "error"}
    assert errors == {"subject-not-awp", "external-needs-gpg", "encrypted-needs-keys"}
    assert "Privileged and Confidential" in json.dumps(draft["findings"])
    # stored encrypted: the distinctive domain is in no byte of the file or its WAL
    assert_not_stored(incident, DOMAIN)
    settle(incident)
    assert_not_stored(incident, DOMAIN)


def assert_not_stored(incident: Path, needle: str) -> None:
    files = [p for p in incident.parent.iterdir() if p.name.startswith(incident.name)]
    assert incident in files
    for path in files:
        data = path.read_bytes()
        for form in (needle.encode(), needle.encode("utf-16-le"), needle.upper().encode()):
            assert form not in data, path


def test_init_with_a_policy_stores_it(cli, tmp_path: Path, settle) -> None:
    policy = write(tmp_path / "ours.toml", CUSTOM_POLICY)
    path = tmp_path / "inc" / "x.db"
    path.parent.mkdir()
    proc = cli("init", path, "--kdf", "interactive", "--policy", policy)
    assert proc.returncode == 0, proc.stderr
    proc = cli("policy", "show", path)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout == CUSTOM_POLICY
    assert_not_stored(path, DOMAIN)
    settle(path)
    assert_not_stored(path, DOMAIN)


def test_a_bad_policy_file_is_refused_with_its_line(cli, incident: Path, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", '# ours\nsubject = "X"\nvendors = [1]\n')
    proc = cli("policy", "set", incident, bad)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"warroom: {bad}:3: ")
    assert cli("policy", "show", incident).stderr.startswith("warroom: this incident uses the def")
    # init refuses it before making anything
    path = tmp_path / "new.db"
    proc = cli("init", path, "--kdf", "interactive", "--policy", bad)
    assert proc.returncode == 2 and proc.stderr.startswith(f"warroom: {bad}:3: ")
    assert not path.exists()
    proc = cli("policy", "set", incident, tmp_path / "absent.toml")
    assert proc.returncode == 2 and "absent.toml" in proc.stderr
