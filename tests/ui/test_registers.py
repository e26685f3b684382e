"""The registers through Pilot: evidence, indicators, attack metrics, follow-ups, the
incident's fields; the note line's prefixes; the roster's duties; their looks."""

from __future__ import annotations

import copy
import hashlib
import io
import itertools
import os
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable, Input, Select, Static, TextArea
from textual.widgets._select import SelectOverlay
from warroom.screens.evidence import EvidenceScreen
from warroom.screens.followups import FollowUpsScreen
from warroom.screens.help import HelpScreen
from warroom.screens.incident import IncidentScreen
from warroom.screens.indicators import IndicatorsScreen
from warroom.screens.keys import MAIN_KEYS, REGISTER_KEYS, all_keys
from warroom.screens.main import MainScreen
from warroom.screens.metrics import MetricsScreen
from warroom.screens.register import Column, FormScreen, fit_columns
from warroom.screens.widgets.timeline import TimelineView

import warroom.session
from warroom.clock import HybridClock
from warroom.events import ROLE_DUTIES
from warroom.metrics import format_duration
from warroom.session import Session

MINUTE = 60_000
INJECTION = "[red]x[/] \x1b[31mRED\x1b[0m \x1b]52;c;cm0=\x07clip"
SHOWN = "[red]x[/] [31mRED[0m ]52;c;cm0=clip"  # what is left once the controls are stripped


def shown(widget: Static) -> str:
    """What a Static shows, as plain text (a rich Table drawn as the console would)."""
    content = widget.content
    if isinstance(content, str | Text):
        return str(widget.render())
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()


def notices(app) -> list[str]:  # noqa: ANN001
    return [n.message for n in app._notifications]


def row_text(table: DataTable, key: str) -> list[str]:
    return [c.plain if isinstance(c, Text) else str(c) for c in table.get_row(key)]


def followup(app, title: str):  # noqa: ANN001, ANN201
    return next(f for f in app.session.state.followups.values() if f.title == title)


def deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evidence and follow-up ids carry random hex; snapshots need them fixed."""
    counter = itertools.count(0xA0)
    monkeypatch.setattr(
        warroom.session, "_new_id", lambda nbytes=6: f"{next(counter):0{nbytes * 2}x}"
    )


def seed_registers(path: Path, ui, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Evidence, attacker phases, indicators and follow-ups, every displayed byte fixed."""
    deterministic_ids(monkeypatch)
    now = ui.NOW
    with Session.unlock(path, ui.PASSPHRASE, device=ui.frozen_device(), clock=_clock(ui)) as s:
        disk = s.add_evidence(
            "Disk image of db-replica-2",
            kind="disk-image",
            sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            size=53_687_091_200,
            source="/dev/sdb",
            location="vault-3, shelf B",
            collected_by="Dana Ortiz",
            collected_at=now - 60 * MINUTE,
        )
        s.note_custody(disk, "Sealed in bag 0147 and handed to Priya", location="locker 7")
        s.add_evidence("Auth log export, 14 days", kind="log-export", location="s3://ir-evidence")
        s.add_evidence("[bold]not bold[/bold]", kind="memory-dump", read_only=False)
        s.add_note(
            "Phish opened by a contractor; token minted for svc-backup",
            kind="attacker",
            phase="initial-access",
            author="Dana Ortiz",
            at=now - 3 * 24 * 60 * MINUTE,
        )
        s.add_note(
            "2 GB to 203.0.113.9 and files.exfil-drop.net",
            kind="attacker",
            phase="exfiltration",
            author="Dana Ortiz",
            at=now - 200 * MINUTE,
        )
        s.add_note(
            "EDR alert on db-replica-2", kind="attacker", phase="detected", at=now - 95 * MINUTE
        )
        s.add_note("Replica stopped", kind="attacker", phase="contained", at=now - 80 * MINUTE)
        s.add_note("hash 44d88612fea8a8f36de82e1278abb02f seen on web-3", author="Priya Nair")
        s.mark_indicator("203.0.113.9", "confirmed", "the exfiltration endpoint")
        s.mark_indicator("198.51.100.23", "dismissed", "our own VPN egress")
        s.add_followup(
            "Rotate every service key", kind="corrective", owner="Dana Ortiz", due="2026-11-20"
        )
        s.add_followup("MFA on the provider console", kind="preventive", due="2026-11-10")
        done = s.add_followup("Page legal counsel", kind="corrective", owner="Marcus Webb")
        s.set_followup(done, status="done")
        s.set_incident(
            summary="A stolen service key was used to export the db-replica-2 snapshot.",
            impact="Names and emails of about 40,000 customers.\nNo payment data.",
        )


def _clock(ui) -> HybridClock:  # noqa: ANN001
    return HybridClock(lambda: ui.NOW)


@pytest.fixture
def registers(incident: Path, ui, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    seed_registers(incident, ui, monkeypatch)
    return incident


async def open_register(pilot, ui, key: str):  # noqa: ANN001, ANN201
    await ui.wait_unlocked(pilot)
    await pilot.press(key)
    await pilot.pause()
    return pilot.app.screen


# -- opening and closing ----------


@pytest.mark.parametrize(
    ("key", "screen_type"),
    [
        ("e", EvidenceScreen),
        ("i", IndicatorsScreen),
        ("m", MetricsScreen),
        ("f", FollowUpsScreen),
        ("s", IncidentScreen),
    ],
)
async def test_each_register_opens_with_its_key_and_escape_closes_it(
    make_app, ui, key: str, screen_type: type
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, key)
        assert isinstance(screen, screen_type)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_locking_with_a_register_open_drops_it(make_app, ui) -> None:
    from warroom.screens.unlock import UnlockScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, "f")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and app.session is None
        assert not any(isinstance(s, FollowUpsScreen) for s in app.screen_stack)
        await pilot.press(*ui.PASSPHRASE, "enter")
        await ui.wait_unlocked(pilot)
        await pilot.press("f", "a")  # a form on top of the register: a modal, so only
        app.action_lock()  # the auto-lock reaches it (ctrl+l is not a priority binding)
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and app.session is None
        assert not any(isinstance(s, FollowUpsScreen | FormScreen) for s in app.screen_stack)


async def test_x_asks_the_app_to_export_drafts(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExportScreen"


def test_every_key_has_an_id_and_the_main_keys_are_in_help() -> None:
    ids = [b.id for b in all_keys()]
    assert all(ids)
    main = {b.key: b for b in MAIN_KEYS}
    for key, action in [
        ("e", "open_register('evidence')"),
        ("i", "open_register('indicators')"),
        ("m", "open_register('metrics')"),
        ("f", "open_register('followups')"),
        ("s", "open_register('incident')"),
        ("x", "app.export_drafts"),
    ]:
        assert main[key].action == action
    assert main["x"].id == "drafts.export"
    assert len(main) == len(MAIN_KEYS)  # no key bound twice on the main screen
    for keys in REGISTER_KEYS.values():
        assert len({b.key for b in keys}) == len(keys)


async def test_register_keys_can_be_remapped_from_the_keymap_file(
    make_app, ui, isolated_config: Path
) -> None:
    (isolated_config / "keymap.toml").write_text(
        'evidence.open = "ctrl+e"\n"evidence.add" = "n"\n"register.close" = "q"\n'
    )
    app = make_app(keymap=None)  # read from the config dir, as a user's would be
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("ctrl+e")
        assert isinstance(app.screen, EvidenceScreen)
        assert " n  Add item " in shown(app.screen.query_one("#register-keys", Static))
        await pilot.press("n")
        assert isinstance(app.screen, FormScreen)
        await pilot.press("escape", "q")
        assert isinstance(app.screen, MainScreen)


async def test_help_lists_the_new_keys_and_the_note_prefixes(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(shown(s) for s in app.screen.query(Static))
        for words in ("Evidence", "Indicators", "Attack metrics", "Follow-ups", "Export drafts"):
            assert words in text
        assert "attacker/detected: text" in text
        # The other screens' keys too, and the rules that need a key or counsel.
        assert "^a approve" in text and "^f quick fix" in text
        assert "pageup page up" in text and "^r new codename" in text
        assert "needs a key for every recipient" in text and "legal role" in text


async def test_the_palette_offers_the_registers_and_their_own_keys(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Follow-ups")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Follow-ups: Add")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Indicators")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IndicatorsScreen)  # one register replaces another
        assert isinstance(app.screen_stack[-2], MainScreen)


# -- evidence ----------


async def test_evidence_add_an_item_with_its_kind_and_location(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, "e")
        await pilot.press("a")
        assert isinstance(app.screen, FormScreen)
        await pilot.press(*"Snapshot of web-3 volume", "tab")
        await pilot.press("enter", "down", "enter")  # kind: the Select's next option
        await pilot.press("tab", *"eu-west-1 account 7", "enter")
        await pilot.pause()
        assert isinstance(app.screen, EvidenceScreen)
        (item,) = app.session.state.evidence.values()
        assert (item.item, item.kind, item.location) == (
            "Snapshot of web-3 volume",
            "snapshot",
            "eu-west-1 account 7",
        )
        assert item.read_only and item.sha256 == ""
        table = app.screen.query_one(DataTable)
        assert row_text(table, item.id)[:3] == [item.id, "snapshot", "Snapshot of web-3 volume"]
        assert "eu-west-1 account 7" in shown(app.screen.query_one("#evidence-detail"))


async def test_evidence_file_is_hashed_in_a_worker_and_registered(
    make_app, ui, tmp_path: Path
) -> None:
    image = tmp_path / "web-3.img"
    image.write_bytes(os.urandom(3 << 20) + b"tail")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, "e")
        await pilot.press("a")
        app.screen.query_one("#form-file", Input).value = str(image)
        app.screen.query_one("#form-location", Input).value = "vault-3"
        await pilot.press("ctrl+s")
        for _ in range(100):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app.session.state.evidence:
                break
        (item,) = app.session.state.evidence.values()
        assert item.sha256 == hashlib.sha256(image.read_bytes()).hexdigest()
        assert (item.item, item.size, item.source) == ("web-3.img", (3 << 20) + 4, str(image))
        assert isinstance(app.screen, EvidenceScreen)
        assert item.sha256 in shown(app.screen.query_one("#evidence-detail"))
        assert not app.screen.query_one("#evidence-progress").display  # no job left
        assert any("registered, SHA-256" in n for n in notices(app))


async def test_hashing_shows_progress_and_survives_closing_the_register(
    make_app, ui, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = tmp_path / "big.img"
    image.write_bytes(b"x" * 1000)
    halfway, release = threading.Event(), threading.Event()

    def slow_sha256(path, *, progress):  # noqa: ANN001, ANN202
        halfway.set()
        progress(500, 1000)
        assert release.wait(10)
        progress(1000, 1000)
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    monkeypatch.setattr("warroom.screens.hashing.sha256_file", slow_sha256)
    monkeypatch.setattr("warroom.screens.hashing.PROGRESS_SECONDS", 0.0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, "e")
        await pilot.press("a")
        app.screen.query_one("#form-file", Input).value = str(image)
        await pilot.press("ctrl+s")
        await wait_for(pilot, halfway.is_set)
        progress = app.screen.query_one("#evidence-progress", Static)
        await wait_for(pilot, lambda: "big.img: 50% of 1.0 KB" in shown(progress))
        assert progress.display
        await pilot.press("escape")  # the UI never waited for the hash, and it goes on
        assert isinstance(app.screen, MainScreen) and not app.session.state.evidence
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        (item,) = app.session.state.evidence.values()
        assert item.item == "big.img" and item.size == 1000
        await pilot.press("e")
        assert not app.screen.query_one("#evidence-progress").display


async def test_evidence_bad_file_keeps_the_form_open(make_app, ui, tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, "e")
        await pilot.press("a")
        app.screen.query_one("#form-file", Input).value = str(tmp_path / "missing.img")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert any("no such file" in n for n in notices(app))
        app.screen.query_one("#form-file", Input).value = str(tmp_path)  # a directory
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert any("is a directory" in n for n in notices(app))
        assert not app.session.state.evidence


async def test_evidence_custody_note(make_app, ui, registers: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "e")
        await pilot.press("down", "c")
        await pilot.press(*"Copied to the forensics host", "tab", *"forensics-1", "enter")
        await pilot.pause()
        item = list(app.session.state.evidence.values())[1]
        assert item.item == "Auth log export, 14 days"
        assert [n.text for n in item.custody] == ["Copied to the forensics host"]
        assert item.location == "forensics-1"
        detail = shown(screen.query_one("#evidence-detail"))
        assert "Copied to the forensics host" in detail and "forensics-1" in detail


# -- indicators ----------


async def test_indicators_confirm_dismiss_and_undecide(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "i")
        table = screen.query_one(DataTable)
        assert row_text(table, "198.51.100.23")[:3] == ["198.51.100.23", "ipv4", "new"]
        for key, status in [("c", "confirmed"), ("d", "dismissed"), ("u", "new")]:
            await pilot.press(key)
            await pilot.pause()
            assert app.session.indicators()[0].status == status
            assert row_text(table, "198.51.100.23")[2] == status
        assert "Indicator 198.51.100.23 confirmed" in [
            e.text for e in app.session.state.entries.values()
        ]


async def test_indicators_filter_and_status_colours(make_app, ui, registers: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "i")
        table = screen.query_one(DataTable)
        assert table.row_count == 4
        status = table.get_row("203.0.113.9")[2]
        assert "red" in str(status.style)
        await pilot.press("f")  # new only
        assert [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(2)] == [
            "files.exfil-drop.net",
            "44d88612fea8a8f36de82e1278abb02f",
        ]
        await pilot.press("f")  # confirmed only
        assert table.row_count == 1
        assert "the exfiltration endpoint" in shown(screen.query_one("#indicators-detail"))


async def test_indicators_add_one_by_hand(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, "i")
        await pilot.press("a", *"evil-cdn.example.net", "tab", "tab", *"from the vendor")
        await pilot.press("enter")
        await pilot.pause()
        mark = app.session.state.indicators["evil-cdn.example.net"]
        assert (mark.status, mark.note) == ("confirmed", "from the vendor")
        assert "evil-cdn.example.net" in [r.value for r in app.session.indicators()]


# -- metrics ----------


async def test_metrics_show_the_figures_anchors_and_entries_by_phase(
    make_app, ui, registers: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "m")
        figures = shown(screen.query_one("#metrics-figures"))
        m = app.session.attack_metrics()
        assert format_duration(m.time_to_detect) in figures  # 2d 22h 25m
        assert format_duration(m.time_to_contain) in figures and "15m" in figures
        anchors = shown(screen.query_one("#metrics-anchors"))
        assert "2026-11-15 11:06Z" in anchors  # initial access, UTC
        table = screen.query_one(DataTable)
        phases = [row_text(table, k.value)[0] for k in table.rows]
        assert phases == ["initial-access", "exfiltration", "detected", "contained", "(no phase)"]


async def test_metrics_add_an_attacker_entry_with_a_phase_and_a_time(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "m")
        await pilot.press("a", "enter", *["down"] * 4, "enter")  # phase: detected
        await pilot.press("tab", *"IDS alert", "tab", *"10:30", "enter")
        await pilot.pause()
        entry = next(e for e in app.session.state.entries.values() if e.text == "IDS alert")
        assert (entry.kind, entry.phase) == ("attacker", "detected")
        assert entry.at == ui.NOW - 36 * MINUTE - 40_000  # 10:30Z on the frozen day
        assert "2026-11-18 10:30Z" in shown(screen.query_one("#metrics-anchors"))
        await pilot.press("a", "tab", *"bad time", "tab", *"25:99", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert any("not a time of day" in n for n in notices(app))


# -- follow-ups ----------


async def test_followups_add_mark_done_drop_reopen_and_change_owner(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "f")
        await pilot.press("a", *"Block egress to paste sites", "tab")
        await pilot.press("enter", "down", "enter")  # preventive
        await pilot.press("tab", *"Priya Nair", "tab", *"2026-12-01", "enter")
        await pilot.pause()
        (item,) = app.session.state.followups.values()
        assert (item.title, item.kind, item.owner, item.due, item.status) == (
            "Block egress to paste sites",
            "preventive",
            "Priya Nair",
            "2026-12-01",
            "open",
        )
        table = screen.query_one(DataTable)
        for key, status in [("d", "done"), ("x", "dropped"), ("r", "open")]:
            await pilot.press(key)
            await pilot.pause()
            assert app.session.state.followups[item.id].status == status
            assert row_text(table, item.id)[4] == status
        await pilot.press("o", *"Dana Ortiz", "enter")  # the owner is selected: typing replaces
        await pilot.pause()
        assert app.session.state.followups[item.id].owner == "Dana Ortiz"
        assert row_text(table, item.id)[2] == "Dana Ortiz"


async def test_followups_edit_sends_only_what_changed_and_a_bad_date_keeps_the_form(
    make_app, ui, registers: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "f")
        events_before = app.session.store.heads()
        await pilot.press("e", "enter")  # nothing changed: no event
        await pilot.pause()
        assert isinstance(app.screen, FollowUpsScreen)
        assert app.session.store.heads() == events_before
        await pilot.press("e", "tab", "tab", "tab", *"next week", "enter")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert any("due must be a date" in n for n in notices(app))
        field = app.screen.query_one("#form-due", Input)
        field.value = "2026-11-25"
        await pilot.press("enter")
        await pilot.pause()
        item = followup(app, "Rotate every service key")
        assert (item.title, item.due, item.owner) == (
            "Rotate every service key",
            "2026-11-25",
            "Dana Ortiz",
        )
        assert row_text(screen.query_one(DataTable), item.id)[3] == "2026-11-25"


async def test_followups_overdue_stand_out(make_app, ui, registers: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "f")
        assert "1 overdue" in shown(screen.query_one("#register-title"))
        due = screen.query_one(DataTable).get_row(followup(app, "MFA on the provider console").id)[
            3
        ]
        assert due.plain == "2026-11-10" and "red" in str(due.style)


# -- the incident's fields ----------


async def test_incident_fields_save_themselves_with_only_what_changed(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "s")
        status = screen.query_one("#incident-status", Select)
        status.focus()
        await pilot.press("enter", *["down"] * 4, "enter")  # investigating -> resolved
        screen.query_one("#incident-summary", TextArea).focus()
        await pilot.press(*"Replica exported by a stolen key")
        screen.query_one("#incident-root_cause", TextArea).focus()
        await pilot.press(*"Long-lived key in a CI variable")
        await wait_for(pilot, lambda: "All saved" in shown(screen.query_one("#incident-state")))
        inc = app.session.state.incident
        assert (inc.status, inc.summary, inc.root_cause) == (
            "resolved",
            "Replica exported by a stolen key",
            "Long-lived key in a CI variable",
        )
        assert inc.title == "Replica export" and inc.severity == 1
        assert (
            inc.resolved_at is not None and inc.review_due == inc.resolved_at + 14 * 1440 * MINUTE
        )
        texts = [e.text for e in app.session.state.entries.values()]
        updates = [t for t in texts if t.startswith("Incident updated:")]
        assert updates and updates[0].startswith("Incident updated: status -> resolved")
        assert all("title" not in t and "severity" not in t for t in updates)
        times = shown(screen.query_one("#incident-times"))
        assert "Resolved 2026-11-18 11:06Z" in times and "Review due 2026-12-02" in times


async def test_incident_ctrl_s_saves_at_once(make_app, ui, monkeypatch) -> None:
    # no autosave in between on a slow machine: ctrl+s is what saves here
    monkeypatch.setattr("warroom.screens.incident.AUTOSAVE_SECONDS", 60.0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "s")
        screen.query_one("#incident-impact", TextArea).focus()
        await pilot.press(*"names", "ctrl+s")
        # ctrl+s waits its turn behind the letters (screens/typeahead.py)
        await wait_for(pilot, lambda: app.session.state.incident.impact == "names")
        assert app.session.state.incident.impact == "names"
        assert any("Saved: impact" in n for n in notices(app))


async def test_incident_escape_with_unsaved_changes_saves_them(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "s")
        screen.query_one("#incident-impact", TextArea).focus()
        await pilot.press(*"names and emails", "escape")
        assert isinstance(app.screen, MainScreen)
        assert app.session.state.incident.impact == "names and emails"


async def test_incident_editor_follows_other_writers_but_keeps_your_edits(
    make_app, ui, monkeypatch
) -> None:
    # "mine" stays an unsaved edit until ctrl+s, however slow the machine (an autosave
    # first would make it the older write, and "theirs" would rightly win)
    monkeypatch.setattr("warroom.screens.incident.AUTOSAVE_SECONDS", 60.0)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "s")
        screen.query_one("#incident-summary", TextArea).focus()
        await pilot.press(*"mine")
        with deputy(app, ui) as s:
            s.set_incident(summary="theirs", impact="their impact", severity=2)
        await wait_for(pilot, lambda: app.session.state.incident.impact == "their impact")
        await pilot.pause()
        assert screen.query_one("#incident-impact", TextArea).text == "their impact"
        assert screen.query_one("#incident-severity", Select).value == 2
        assert screen.query_one("#incident-summary", TextArea).text == "mine"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.session.state.incident.summary == "mine")
        assert app.session.state.incident.summary == "mine"
        assert app.session.state.incident.impact == "their impact"


# -- live, from other writers ----------


def deputy(app, ui) -> Session:  # noqa: ANN001
    """Another writer on the same file (another device, the same frozen clock)."""
    device = ui.frozen_device("Deputy", 2)
    return Session.unlock(app.incident_path, ui.PASSPHRASE, device=device, clock=_clock(ui))


async def wait_for(pilot, condition, seconds: float = 3.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert condition()


async def test_an_open_register_shows_other_writers_changes(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "e")
        table = screen.query_one(DataTable)
        assert table.row_count == 0
        with deputy(app, ui) as s:
            s.add_evidence("Memory of web-3", kind="memory-dump", location="locker 2")
        await wait_for(pilot, lambda: table.row_count == 1)
        assert "Memory of web-3" in shown(screen.query_one("#evidence-detail"))


# -- the note line ----------


async def test_note_prefixes_set_kind_and_phase(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("n", *"attacker/detected: EDR alert on web-3", "enter")
        await pilot.press("n", *"decision: keep the disks", "enter")
        await pilot.press("n", *"ETA: ten minutes", "enter")
        await pilot.pause()
        entries = {e.text: e for e in app.session.state.entries.values()}
        assert (entries["EDR alert on web-3"].kind, entries["EDR alert on web-3"].phase) == (
            "attacker",
            "detected",
        )
        assert entries["keep the disks"].kind == "decision"
        assert entries["ETA: ten minutes"].kind == "note"
        timeline = app.screen.query_one(TimelineView)
        assert timeline.entries[-1].text == "ETA: ten minutes"
        assert app.session.attack_metrics().detected == entries["EDR alert on web-3"].at


async def test_a_bad_phase_is_said_and_the_note_stays_in_the_line(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        before = len(app.session.state.entries)
        await pilot.press("n", *"attacker/lunch: sandwich", "enter")
        await pilot.pause()
        assert len(app.session.state.entries) == before
        field = app.screen.query_one("#command-input", Input)
        assert app.focused is field and field.value == "attacker/lunch: sandwich"
        assert any("'lunch' is not an attack phase" in n for n in notices(app))


# -- the roster ----------


async def test_roster_shows_the_selected_roles_duties_and_holder(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("2")
        details = app.screen.query_one("#role-details", Static)
        assert ROLE_DUTIES["ic"] in shown(details)
        assert "Held by Marcus Webb since 11:06Z" in shown(details)
        await pilot.press("down", "down")  # scribe: unfilled
        assert ROLE_DUTIES["scribe"] in shown(details) and "Unfilled" in shown(details)


async def test_roster_shows_an_ic_handoff(make_app, ui) -> None:
    app = make_app()
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=ui.frozen_device()) as s:
        dana = next(p.id for p in s.state.people.values() if p.name == "Dana Ortiz")
        s.assign_role("ic", dana)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("2")
        text = shown(app.screen.query_one("#role-details", Static))
        assert "Held by Dana Ortiz" in text and "(before: Marcus Webb until" in text


# -- untrusted text ----------


async def test_untrusted_text_in_registers_is_literal_and_stripped(
    make_app, ui, tmp_path: Path
) -> None:
    app = make_app()
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=ui.frozen_device()) as s:
        item = s.add_evidence(INJECTION, kind="other", location=INJECTION)
        s.note_custody(item, INJECTION)
        s.add_followup(INJECTION, owner=INJECTION)
        s.add_note(f"{INJECTION} from 192.0.2.66", author=INJECTION, kind="attacker")
        s.mark_indicator("192.0.2.66", "confirmed", INJECTION)
        s.set_incident(summary=INJECTION)
    async with app.run_test(size=(160, 50)) as pilot:
        for key, table_id, in_table, detail_id in [
            ("e", "#evidence-table", True, "#evidence-detail"),
            ("f", "#followups-table", True, "#followups-detail"),
            ("i", "#indicators-table", False, "#indicators-detail"),
            ("m", "#metrics-table", True, None),
        ]:
            screen = await open_register(pilot, ui, key)
            table = screen.query_one(table_id, DataTable)
            if key == "i":
                table.move_cursor(row=table.get_row_index("192.0.2.66"))
                await pilot.pause()
            cells = [c for k in table.rows for c in table.get_row(k)]
            texts = [c for c in cells if isinstance(c, Text)]
            assert texts and len(texts) == len(cells)  # no string the table would read as markup
            assert not in_table or any(SHOWN in c.plain for c in texts), key
            assert not any("\x1b" in c.plain or "\x07" in c.plain for c in texts)
            assert all("red" not in str(span.style) for c in texts for span in c.spans)
            if detail_id:
                detail = screen.query_one(detail_id, Static).render()
                assert SHOWN in str(detail) and "\x1b" not in str(detail), key
            await pilot.press("escape")
        screen = await open_register(pilot, ui, "s")
        summary = screen.query_one("#incident-summary", TextArea).text
        assert summary == SHOWN
        await pilot.press("ctrl+s")  # nothing changed by showing it stripped: nothing saved
        assert app.session.state.incident.summary == INJECTION


# -- 80 columns, and what was just added (issue 9) ----------


def test_columns_narrow_then_the_least_needed_go() -> None:
    columns = [
        Column("ID", 4),
        Column("Title", 30, shrink_to=10),
        Column("Owner", 10, drop=2),
        Column("Due", 10, drop=1),
    ]
    assert fit_columns(columns, 200) == [("ID", 4), ("Title", 30), ("Owner", 10), ("Due", 10)]
    assert fit_columns(columns, 50) == [("ID", 4), ("Title", 18), ("Owner", 10), ("Due", 10)]
    assert fit_columns(columns, 36) == [("ID", 4), ("Title", 16), ("Owner", 10)]  # Due first
    assert fit_columns(columns, 18) == [("ID", 4), ("Title", 10)]


def fits(table: DataTable) -> bool:
    """Every column shown in full: nothing off to the right to scroll to."""
    return table.virtual_size.width <= table.scrollable_content_region.width


def row_labels(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.ordered_columns]


async def test_evidence_at_80_columns_shows_what_fits_and_the_rest_below(
    make_app, ui, registers: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_register(pilot, ui, "e")
        table = screen.query_one(DataTable)
        assert row_labels(table) == ["ID", "Kind", "Item", "SHA-256", "Kept at", "RO"]
        assert fits(table)
        title = shown(screen.query_one("#register-title", Static))
        assert title.count("below: Collected by, Collected, Retain until") == 1
        detail = shown(screen.query_one("#evidence-detail", Static))
        assert "Collected by Dana Ortiz at 2026-11-18 10:06Z; retain until 2027-02-16" in detail
        await pilot.press("down")
        await pilot.resize_terminal(120, 40)  # wide again: every column, no note
        await pilot.pause()
        assert len(row_labels(table)) == 9 and fits(table)
        assert "below:" not in shown(screen.query_one("#register-title", Static))
        assert table.row_count == 3 and table.cursor_row == 1  # still on the second item


@pytest.mark.parametrize(
    ("key", "labels", "detail_id", "full_text"),
    [
        (
            "f",
            ["Title", "Kind", "Owner", "Due", "Status"],
            "#followups-detail",
            "MFA on the provider console",
        ),
        (
            "m",
            ["Phase", "When (UTC)", "Author", "Entry"],
            "#metrics-detail",
            "Phish opened by a contractor; token minted for svc-backup",
        ),
        (
            "i",
            ["Value", "Type", "Status", "First seen", "Seen"],  # Value narrowed to fit
            "#indicators-detail",
            "203.0.113.9  ipv4  confirmed",
        ),
    ],
    ids=["followups", "metrics", "indicators"],
)
async def test_followups_and_metrics_fit_80_columns_and_the_detail_has_it_all(
    make_app, ui, registers: Path, key: str, labels: list[str], detail_id: str, full_text: str
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_register(pilot, ui, key)
        table = screen.query_one(DataTable)
        assert row_labels(table) == labels and fits(table)
        if key == "f":
            await pilot.press("down")
        detail = screen.query_one(detail_id, Static)
        assert shown(detail).replace("\n", " ").count(full_text) == 1


async def test_the_phase_drop_down_stays_inside_the_form_at_80x24(
    make_app, ui, registers: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_register(pilot, ui, "m")
        await pilot.press("a", "enter")  # the form, its phase list opened
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        box = app.screen.query_one("#form-box").region
        overlay = app.screen.query_one("#form-phase", Select).query_one(SelectOverlay)
        assert overlay.display and overlay.region.height == 8  # every phase, no scrolling
        assert box.contains_region(overlay.region)
        assert app.screen.region.contains_region(box)
        await pilot.press(*["down"] * 4, "enter")  # detected, as before
        assert app.screen.query_one("#form-phase", Select).value == "detected"


# -- what was just added is selected ----------


@pytest.mark.parametrize(
    ("key", "records", "then", "typed", "field"),
    [
        ("e", "evidence", "c", "Bagged, tag 0148", "custody"),
        ("f", "followups", "o", "Sam Okafor", "owner"),
    ],
    ids=["evidence-custody", "followup-owner"],
)
async def test_what_was_just_added_is_selected_and_the_next_key_acts_on_it(
    make_app, ui, registers: Path, key: str, records: str, then: str, typed: str, field: str
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot, ui, key)
        before = set(getattr(app.session.state, records))
        await pilot.press("a", *"Added just now", "enter")
        await pilot.pause()
        (added,) = set(getattr(app.session.state, records)) - before
        table = app.screen.query_one(DataTable)
        assert table.cursor_row == table.row_count - 1 == len(before)
        assert app.screen.selected().id == added
        others = {k: copy.deepcopy(v) for k, v in getattr(app.session.state, records).items()}
        del others[added]
        await pilot.press(then, *typed, "enter")  # a custody note, an owner
        await pilot.pause()
        after = dict(getattr(app.session.state, records))
        assert typed in str(getattr(after.pop(added), field))
        assert after == others  # row one (where the cursor was left before) untouched


async def test_an_attacker_entry_added_is_selected(make_app, ui, registers: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_register(pilot, ui, "m")
        await pilot.press("a", "enter", "end", "enter")  # phase: (no phase), the last
        await pilot.press("tab", *"Beacon to 203.0.113.9", "enter")
        await pilot.pause()
        assert app.screen is screen and isinstance(screen, MetricsScreen)
        table = screen.query_one(DataTable)
        assert table.cursor_row == table.row_count - 1 == 5  # (no phase) last, and latest
        assert shown(screen.query_one("#metrics-detail", Static)).count("Beacon to") == 1


# -- looks ----------


def after_keys(ui, *keys: str):  # noqa: ANN001, ANN201
    async def run_before(pilot) -> None:  # noqa: ANN001
        await ui.wait_unlocked(pilot)
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize(
    "key",
    ["e", "i", "m", "f", "s"],
    ids=["evidence", "indicators", "metrics", "followups", "incident"],
)
def test_register_looks(snap_compare, make_app, ui, registers, key) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=after_keys(ui, key))


def test_evidence_looks_at_80x24(snap_compare, make_app, ui, registers) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=after_keys(ui, "e"))


def test_evidence_form_looks(snap_compare, make_app, ui, registers) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=after_keys(ui, "e", "a"))
