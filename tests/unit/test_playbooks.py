"""Playbooks: the shipped checklists, user playbooks, and errors that name file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warroom import playbooks
from warroom.events import INCIDENT_KINDS, ROLES
from warroom.playbooks import PlaybookError

VP_ENG = "VP or Director of Engineering"

SECURITY = [
    ("stop-attack", "Stop the attack in progress"),
    ("cut-vector", "Cut off the attack vector"),
    ("assemble-team", "Assemble the response team"),
    ("isolate-instances", "Isolate affected instances"),
    ("attack-timeline", "Build the attack timeline"),
    ("compromised-data", "Identify compromised data"),
    ("risk-other-systems", "Assess risk to other systems"),
    ("risk-reattack", "Assess risk of re-attack"),
    ("further-mitigations", "Apply further mitigations and monitoring"),
    ("forensics", "Forensic analysis of compromised systems"),
    ("internal-comms", "Internal communication"),
    ("law-enforcement", "Involve law enforcement"),
    ("external-parties", "Contact external parties used as a vector"),
    ("external-comms", "External communication"),
]
DDOS = [
    ("edge-protection", "Turn on DDoS protection at the edge"),
    ("monitor-traffic", "Watch the traffic and the servers"),
    ("waf-rules", "Add WAF rules against the attack traffic"),
    ("check-logs", "Read the server logs"),
    ("scale-resources", "Scale up to absorb the load"),
    ("rotate-credentials", "Change credentials if security may be affected"),
    ("backup-data", "Take fresh backups"),
    ("report-attack", "Report the attack"),
    ("restore-service", "Restore normal operations"),
    ("document-incident", "Document the incident"),
    ("post-incident-review", "Hold a post-incident review"),
]
IR_PLAN = [
    ("preparation", "preparation", "Check the defences and the response team"),
    ("detection", "identification", "Detect the incident"),
    ("breach-determination", "identification", "Determine whether there was a breach"),
    ("evidence-collection", "identification", "Collect and preserve evidence"),
    ("documentation", "identification", "Document what was found"),
    ("notification", "identification", "Notify those who must be told, within 24 hours"),
    ("containment", "containment", "Contain the attack"),
    ("eradication", "eradication", "Remove the cause"),
    ("recovery", "recovery", "Restore and watch"),
    ("review", "lessons-learned", "Review the incident within two weeks"),
]
OUTAGE = [
    ("detect", "Confirm the outage and its impact"),
    ("engage", "Engage the responders"),
    ("investigate", "Investigate the cause"),
    ("mitigate", "Mitigate the impact"),
    ("recover", "Recover fully"),
    ("postmortem", "Write the postmortem"),
]
EXPECTED = {
    "security": [(i, t) for i, t in SECURITY],
    "ddos": DDOS,
    "ir-plan": [(i, t) for i, _, t in IR_PLAN],
    "outage": OUTAGE,
}

GOOD = """\
id = "mine"
title = "My checklist"
kind = "outage"

[[steps]]
id = "first"
phase = "one"
title = "The first step"
details = ["Do this.", "Then that."]
delegate = "sme"

[[steps]]
id = "second"
phase = "two"
title = "The second step"
delegate = "executive"
delegate_title = "Head of Support"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# The shipped playbooks


def test_the_shipped_playbooks_are_available() -> None:
    assert playbooks.shipped() == ["ddos", "ir-plan", "outage", "security"]
    assert playbooks.available() == ["ddos", "ir-plan", "outage", "security"]


@pytest.mark.parametrize("playbook_id", sorted(EXPECTED))
def test_each_shipped_playbook_has_its_steps(playbook_id: str) -> None:
    book = playbooks.load(playbook_id)
    assert book.id == playbook_id
    assert [(s.id, s.title) for s in book.steps] == EXPECTED[playbook_id]
    assert book.title and book.description
    assert book.kind in INCIDENT_KINDS


@pytest.mark.parametrize("playbook_id", sorted(EXPECTED))
def test_every_shipped_step_has_details_and_a_delegate(playbook_id: str) -> None:
    for step in playbooks.load(playbook_id).steps:
        assert step.details, step.id
        assert all(d.strip() for d in step.details), step.id
        assert step.phase, step.id
        assert step.delegate in ROLES, step.id


def test_step_ids_are_unique_across_shipped_playbooks() -> None:
    # Session.add_playbook skips steps whose id the incident already has, so a
    # shared id would silently drop a step when a second playbook is added.
    ids = [s.id for b in map(playbooks.load, playbooks.shipped()) for s in b.steps]
    assert len(ids) == len(set(ids))


def test_security_follows_the_fourteen_step_checklist() -> None:
    book = playbooks.load("security")
    assert len(book.steps) == 14
    by_id = {s.id: s for s in book.steps}
    for sid in ("internal-comms", "law-enforcement", "external-parties"):
        assert by_id[sid].delegate == "executive"
        assert by_id[sid].delegate_title == VP_ENG
        assert by_id[sid].delegate_label == VP_ENG
    assert by_id["external-comms"].delegate == "external-liaison"
    assert by_id["external-comms"].delegate_title == "Marketing"
    assert by_id["assemble-team"].delegate == "ic"
    assert by_id["stop-attack"].delegate_label == ROLES["security"]
    text = " ".join(d for s in book.steps for d in s.details)
    for fact in ("Attorney Work Project", "codename", "cold storage", "cyber-insurance"):
        assert fact in text
    assert any("date in the title" in d for d in by_id["external-comms"].details)
    assert any("inside" in d for d in by_id["internal-comms"].details)
    assert book.phases == [
        "contain",
        "coordinate",
        "investigate",
        "assess",
        "mitigate",
        "communicate",
    ]


def test_ir_plan_walks_the_picerl_phases() -> None:
    book = playbooks.load("ir-plan")
    assert [(s.id, s.phase, s.title) for s in book.steps] == IR_PLAN
    assert book.phases == [
        "preparation",
        "identification",
        "containment",
        "eradication",
        "recovery",
        "lessons-learned",
    ]
    evidence = " ".join(book.step("evidence-collection").details)
    assert "90 days" in evidence and "backup" in evidence
    assert "24 hours" in " ".join(book.step("notification").details)
    assert "two weeks" in " ".join(book.step("review").details)


def test_ddos_and_outage_delegates() -> None:
    ddos = playbooks.load("ddos")
    assert ddos.step("edge-protection").delegate == "security"
    assert ddos.step("document-incident").delegate == "scribe"
    assert ddos.step("post-incident-review").delegate == "ic"
    outage = playbooks.load("outage")
    assert outage.step("engage").delegate == "ic"
    assert outage.step("postmortem").delegate == "ic"
    with pytest.raises(KeyError):
        outage.step("nope")


@pytest.mark.parametrize("kind", INCIDENT_KINDS)
def test_default_for_every_kind(kind: str) -> None:
    book = playbooks.default_for(kind)
    assert book is not None
    assert book.id == kind and book.kind == kind


def test_default_for_an_unknown_kind_is_none() -> None:
    assert playbooks.default_for("ir") is None
    assert "ir-plan" not in INCIDENT_KINDS  # selectable by id only
    assert playbooks.load("ir-plan").kind == "security"


def test_an_unknown_id_names_what_is_available() -> None:
    with pytest.raises(PlaybookError, match=r"no playbook 'nope' \(available: ddos, ir-plan"):
        playbooks.load("nope")
    with pytest.raises(PlaybookError, match="no playbook"):
        playbooks.location("nope")


def test_load_all_loads_every_shipped_playbook() -> None:
    books, errors = playbooks.load_all()
    assert errors == []
    assert [b.id for b in books] == ["ddos", "ir-plan", "outage", "security"]


# User playbooks


def test_a_user_playbook_is_listed_and_loads(isolated_config: Path) -> None:
    assert playbooks.user_dir() == isolated_config / "playbooks"
    path = write(playbooks.user_dir(), "mine.toml", GOOD)
    assert "mine" in playbooks.available()
    assert "mine" not in playbooks.shipped()
    assert playbooks.location("mine") == str(path)
    book = playbooks.load("mine")
    assert (book.id, book.title, book.kind, book.source) == (
        "mine",
        "My checklist",
        "outage",
        str(path),
    )
    assert [s.id for s in book.steps] == ["first", "second"]
    assert book.steps[0].details == ["Do this.", "Then that."]
    assert book.steps[1].delegate_label == "Head of Support"
    assert book.phases == ["one", "two"]


def test_a_user_playbook_replaces_the_shipped_one_with_its_id(isolated_config: Path) -> None:
    text = GOOD.replace('id = "mine"', 'id = "outage"')
    path = write(playbooks.user_dir(), "outage.toml", text)
    assert playbooks.available().count("outage") == 1
    assert playbooks.location("outage") == str(path)
    assert playbooks.default_for("outage").title == "My checklist"
    assert "outage" in playbooks.shipped()


def test_a_broken_user_playbook_is_an_error_not_a_fallback(isolated_config: Path) -> None:
    path = write(playbooks.user_dir(), "security.toml", 'id = "security"\n')
    with pytest.raises(
        PlaybookError, match=rf"^{re.escape(str(path))}:1: a playbook needs at least one step"
    ):
        playbooks.default_for("security")
    books, errors = playbooks.load_all()
    assert [str(e.source) for e in errors] == [str(path)]
    assert "security" not in [b.id for b in books]


def test_a_user_playbook_id_must_match_its_file_name(isolated_config: Path) -> None:
    path = write(playbooks.user_dir(), "other.toml", "# mine\n" + GOOD)
    with pytest.raises(PlaybookError) as caught:
        playbooks.load("other")
    assert str(caught.value) == (
        f"{path}:2: the playbook id 'mine' differs from the file name other.toml: "
        "rename the file to mine.toml, or change the id"
    )
    assert playbooks.load_file(path).id == "mine"  # any file, by path, is fine


def test_hidden_and_non_toml_files_are_ignored(isolated_config: Path) -> None:
    write(playbooks.user_dir(), ".#mine.toml", "junk")
    write(playbooks.user_dir(), "notes.txt", "junk")
    (playbooks.user_dir() / "dir.toml").mkdir()
    assert playbooks.available() == playbooks.shipped()


def test_an_unreadable_or_non_utf8_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'id = "x"\n# caf\xe9\n')
    with pytest.raises(PlaybookError, match=rf"^{re.escape(str(path))}:2: not UTF-8 text$"):
        playbooks.load_file(path)
    with pytest.raises(PlaybookError, match=rf"^{re.escape(str(tmp_path / 'missing.toml'))}: "):
        playbooks.load_file(tmp_path / "missing.toml")


# Malformed files: every error names the file and the line.

STEP = '[[steps]]\nid = "{sid}"\nphase = "p"\ntitle = "T"\n'

MALFORMED = {
    "toml-syntax": (
        'id = "x"\n\n[[steps]]\nid = "a"\nphase = "p\ntitle = "T"\n',
        5,
        "TOML syntax error: Illegal character",
    ),
    "toml-duplicate-key": ('id = "x"\ntitle = "A"\ntitle = "B"\n', 3, "TOML syntax error"),
    "toml-end-of-file": (
        'id = "x"\n[[steps]]\nid = "a"\ndetails = [\n  "one",\n',
        5,
        "at the end of the file",
    ),
    "missing-id": ('title = "T"\n\n' + STEP.format(sid="a"), 1, "needs an `id`"),
    "id-not-a-string": ("id = 3\n" + STEP.format(sid="a"), 1, "must be a string, not an integer"),
    "id-with-spaces": ('\nid = "My Book"\n' + STEP.format(sid="a"), 2, "must be lowercase"),
    "missing-steps": ('# nothing\nid = "x"\ntitle = "X"\n', 1, "at least one step"),
    "empty-steps": ('id = "x"\n\nsteps = []\n', 3, "at least one step"),
    "steps-as-table": ('id = "x"\n\n[steps]\nid = "a"\n', 3, "write [[steps]] (double brackets)"),
    "steps-not-tables": ('id = "x"\nsteps = ["a", "b"]\n', 2, "step 1 must be a table"),
    "step-without-id": (
        'id = "x"\n' + STEP.format(sid="a") + '\n[[steps]]\nphase = "p"\ntitle = "T"\n',
        7,
        "step 2 needs an `id`",
    ),
    "step-without-phase": (
        'id = "x"\n' + STEP.format(sid="a") + '[[steps]]\nid = "b"\ntitle = "T"\n',
        6,
        "step 'b' needs a `phase`",
    ),
    "step-without-title": (
        'id = "x"\n' + STEP.format(sid="a") + STEP.format(sid="b").replace('title = "T"\n', ""),
        6,
        "step 'b' needs a `title`",
    ),
    "empty-title": (
        'id = "x"\n[[steps]]\nid = "a"\nphase = "p"\ntitle = "  "\n',
        5,
        "`title` must not be empty",
    ),
    "duplicate-step-id": (
        'id = "x"\n' + STEP.format(sid="a") + STEP.format(sid="b") + STEP.format(sid="a"),
        11,
        "step id 'a' is used twice (first at line 3)",
    ),
    "details-not-a-list": (
        'id = "x"\n' + STEP.format(sid="a") + 'details = "do it"\n',
        6,
        "`details` must be an array of strings, not a string",
    ),
    "details-not-strings": (
        'id = "x"\n' + STEP.format(sid="a") + 'details = [\n  "ok",\n  2,\n]\n',
        6,
        "`details` item 2 must be a string, not an integer",
    ),
    "unknown-delegate": (
        'id = "x"\n' + STEP.format(sid="a") + 'delegate = "secrity"\n',
        6,
        "unknown delegate role 'secrity' (did you mean 'security'?",
    ),
    "delegate-not-a-string": (
        'id = "x"\n' + STEP.format(sid="a") + 'delegate = ["ic"]\n',
        6,
        "`delegate` must be a string, not an array",
    ),
    "delegate-title-not-a-string": (
        'id = "x"\n' + STEP.format(sid="a") + "delegate_title = 1\n",
        6,
        "`delegate_title` must be a string",
    ),
    "unknown-top-level-key": (
        'id = "x"\ntitel = "X"\n' + STEP.format(sid="a"),
        2,
        "unknown key `titel` at the top level (did you mean `title`?",
    ),
    "unknown-top-level-table": (
        'id = "x"\n' + STEP.format(sid="a") + "[[step]]\n",
        6,
        "unknown key `step` at the top level (did you mean `steps`?",
    ),
    "unknown-step-key": (
        'id = "x"\n' + STEP.format(sid="a") + STEP.format(sid="b") + 'detials = ["x"]\n',
        10,
        "unknown key `detials` in step 'b' (did you mean `details`?",
    ),
    "unknown-step-sub-table": (
        'id = "x"\n' + STEP.format(sid="a") + "[steps.notes]\ntext = 1\n",
        6,
        "unknown key `notes` in step 'a'",
    ),
    "unknown-kind": (
        'id = "x"\nkind = "breach"\n' + STEP.format(sid="a"),
        2,
        "`kind` must be one of",
    ),
    "title-with-escape-sequence": (
        'id = "x"\n' + STEP.format(sid="a").replace('"T"', '"T\\u001b[31m"'),
        5,
        "`title` contains a line break, tab or control character",
    ),
    "detail-with-bidi-override": (
        'id = "x"\n' + STEP.format(sid="a") + 'details = ["ok \\u202e evil"]\n',
        6,
        "`details` item 1 contains a control character",
    ),
    "inline-steps-duplicate": (
        'id = "x"\nsteps = [\n  { id = "a", phase = "p", title = "A" },\n'
        '  # { id = "a" } in a comment\n'
        '  {id="a", phase="p", title="B"},\n]\n',
        5,
        "step id 'a' is used twice (first at line 3)",
    ),
    "inline-steps-missing-title": (
        'id = "x"\nsteps = [\n  { id = "a", phase = "p", title = "A" },\n'
        '  { id = "b", phase = "p" },\n]\n',
        4,
        "step 'b' needs a `title`",
    ),
    "look-alikes-in-strings": (
        'id = "x"\ndescription = """\n[[steps]]\nid = "a"\n"""\n'
        + STEP.format(sid="a")
        + 'details = [\n  """\n[[steps]]\n""",\n  "it\'s \\" [[steps]]",\n]\n'
        + '[[ "steps" ]]\n"id" = \'a\'\nphase = "p"\ntitle = "T"\n',
        17,
        "step id 'a' is used twice (first at line 7)",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_file_names_the_file_and_line(case: str, tmp_path: Path) -> None:
    text, line, message = MALFORMED[case]
    path = write(tmp_path, f"{case}.toml", text)
    with pytest.raises(PlaybookError) as caught:
        playbooks.load_file(path)
    error = caught.value
    assert str(error).startswith(f"{path}:{line}: "), str(error)
    assert message in str(error).splitlines()[0], str(error)
    assert (error.source, error.line) == (str(path), line)


def test_a_malformed_user_playbook_names_its_file_when_loaded_by_id(isolated_config: Path) -> None:
    text, line, message = MALFORMED["unknown-delegate"]
    path = write(playbooks.user_dir(), "x.toml", text)
    with pytest.raises(
        PlaybookError, match=rf"^{re.escape(str(path))}:{line}: .*unknown delegate role"
    ):
        playbooks.load("x")


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    text = (
        'id = "x"\n'  # 1
        'titel = "X"\n'  # 2
        + STEP.format(sid="a")  # 3-6
        + 'delegate = "nobody"\n'  # 7
        + STEP.format(sid="a")  # 8-11
        + "details = [1]\n"  # 12
    )
    path = write(tmp_path, "many.toml", text)
    with pytest.raises(PlaybookError) as caught:
        playbooks.load_file(path)
    lines = str(caught.value).splitlines()
    assert [int(x.split(":")[1]) for x in lines] == [2, 7, 9, 12]
    assert all(x.startswith(f"{path}:") for x in lines)
    assert [p[0] for p in caught.value.problems] == [2, 7, 9, 12]


def test_parse_playbook_keeps_its_old_call_and_defaults() -> None:
    book = playbooks.parse_playbook('id = "x"\n' + STEP.format(sid="a"), "inline")
    assert (book.id, book.title, book.kind, book.description, book.source) == (
        "x",
        "x",
        "",
        "",
        "inline",
    )
    step = book.steps[0]
    assert (step.details, step.delegate, step.delegate_title, step.delegate_label) == (
        [],
        "",
        "",
        "",
    )
    # positional construction, as Session.add_playbook does it
    copy = playbooks.Playbook(book.id, book.title, book.kind, [])
    assert copy.steps == [] and copy.description == ""


def test_a_plain_message_error_still_works() -> None:
    error = PlaybookError("no playbook 'x'")
    assert str(error) == "no playbook 'x'" and error.line is None
    assert isinstance(error, ValueError)
