"""The comms rules in the draft editor: findings as you type, quick fixes, key
status from a real GnuPG home, approval refused while an error stands, export."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

from textual.widgets import Input, Static, TextArea
from warroom.screens.draft import DraftScreen
from warroom.screens.export import ExportScreen
from warroom.screens.widgets.text_lines import TextLines

BANNED = "We take security very seriously."


def findings_text(app) -> str:  # noqa: ANN001
    return "\n".join(line.plain for line in app.screen.query_one(TextLines).lines)


def rules(app) -> set[str]:  # noqa: ANN001
    return {f.rule for f in app.screen.findings}


async def open_first_draft(pilot, ui) -> None:  # noqa: ANN001
    await ui.wait_unlocked(pilot)
    await pilot.press("4", "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(pilot.app.screen, DraftScreen)


async def test_typing_the_banned_phrase_shows_it_and_fixing_it_clears_it(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_draft(pilot, ui)
        assert "banned-phrase" not in findings_text(app)
        await pilot.press("end", "space", *BANNED)
        await pilot.pause()
        assert "banned-phrase" in rules(app)
        assert "banned-phrase" in findings_text(app)
        for _ in BANNED:
            await pilot.press("backspace")
        await pilot.pause()
        assert "banned-phrase" not in rules(app)
        assert "banned-phrase" not in findings_text(app)


async def test_quick_fix_sets_the_subject(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_draft(pilot, ui)
        subject = app.screen.query_one("#draft-subject", Input)
        subject.value = "Re: Attorney Work Project - db breach"
        await pilot.pause()
        assert "subject-not-awp" in rules(app)
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert subject.value == "Attorney Work Project"
        assert "subject-not-awp" not in rules(app)


async def test_quick_fix_prefixes_a_chat_message(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        draft_id = app.session.save_draft(channel="chat", topic="", body="bridge moved to room 2")
        app.push_screen(DraftScreen(app.session, draft_id))
        await pilot.pause()
        assert "chat-prefix" in rules(app)
        await pilot.press("ctrl+f")
        await pilot.pause()
        body = app.screen.query_one("#draft-body", TextArea).text
        assert body == "Attorney Work Project: bridge moved to room 2"
        assert "chat-prefix" not in rules(app)


async def test_approval_is_refused_while_an_error_stands(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_draft(pilot, ui)
        draft_id = app.screen.draft_id
        assert "external-needs-gpg" in rules(app)  # the empty GnuPG home has no key for lena
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.session.state.drafts[draft_id].status != "approved"
        said = [n.message for n in app._notifications]
        assert any("cannot be approved" in m and "external-needs-gpg" in m for m in said), said


async def test_key_status_and_approval_with_the_recipients_key(
    make_app, ui, gpg_env, tmp_path: Path
) -> None:
    ic_home, lena_home = gpg_env(), gpg_env()
    lena = lena_home.gen_key("Lena <lena@counsel.example>")
    lena_home.give(ic_home, lena)
    # the sender's key too: the mail goes encrypted to lena and to marcus
    ic = ic_home.gen_key("Marcus <marcus@example.com>")
    app = make_app(gnupghome=ic_home.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_first_draft(pilot, ui)
        keys_line = str(app.screen.query_one("#draft-keys", Static).render())
        assert f"found {lena[-16:]}" in keys_line
        assert "external-needs-gpg" not in rules(app)
        assert "encrypted-needs-keys" not in rules(app)
        draft_id = app.screen.draft_id
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.session.state.drafts[draft_id].status == "approved"
        await pilot.press("escape")
        # Export from the console: the email comes out encrypted to lena and the sender.
        out = tmp_path / "out"
        app.action_export_drafts()
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-folder", Input).value = str(out)
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert (out / "manifest.json").exists(), app.screen.query_one("#export-help").render()
        manifest = json.loads((out / "manifest.json").read_text())
        (record,) = [f for f in manifest["files"] if f["draft"] == draft_id]
        assert set(record["encrypted_to"]) == {lena, ic}  # the recipient and the sender
        msg = email.message_from_bytes(
            (out / record["file"]).read_bytes(), policy=email.policy.default
        )
        assert msg.get_content_type() == "multipart/encrypted"
        assert msg["Subject"] == "Attorney Work Project"
