"""Export the approved drafts from the console: where to, which key signs, what
blocks it. The export runs gpg, so it runs in a worker; the result (or the
refusal, with every error that stands) shows on this screen."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from warroom import comms
from warroom.export.drafts import ExportError, export_drafts
from warroom.rules.model import ERROR
from warroom.session import Session
from warroom.timefmt import strf

from .keys import EXPORT_KEYS
from .messages import ExportChecked, ExportDone
from .safe import assemble, literal, show_result


def default_folder(session: Session, now_ms: int) -> Path:
    stamp = strf(now_ms, "%Y%m%dT%H%M%SZ", invalid="now")
    return session.path.parent / f"{session.state.incident.codename}-drafts-{stamp}"


class ExportScreen(ModalScreen[Path | None]):
    BINDINGS = EXPORT_KEYS

    def __init__(self, session: Session, folder: Path) -> None:
        super().__init__()
        self.session = session
        self.folder = folder
        self.done: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="export-form"):
            yield Static("Export approved drafts", id="export-title")
            with Horizontal(classes="draft-row"):
                yield Label("Folder")
                yield Input(str(self.folder), id="export-folder", compact=True)
            with Horizontal(classes="draft-row"):
                yield Label("Sign key")
                yield Input(
                    placeholder="GPG fingerprint (optional)", id="export-sign", compact=True
                )
            yield Static("", id="export-drafts")
            yield Static(
                "Enter or ctrl+s exports; Esc closes. Nothing is written while an error stands.",
                id="export-help",
            )

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.query_one("#export-folder", Input).focus()
        self.show_drafts()
        self.check_drafts()

    def show_drafts(self, blocking: dict[str, list[str]] | None = None) -> None:
        lines = Text()
        for draft in sorted(self.session.state.drafts.values(), key=lambda d: d.id):
            approved = draft.status == "approved" and draft.approvals
            state = "approved" if approved else f"skipped ({draft.status})"
            if lines:
                lines.append("\n")
            lines.append_text(assemble(f"{draft.id}  {draft.channel:<9} ", (state, "bold")))
            if blocking is None and approved:
                lines.append("  checking…", style="dim")
            for problem in (blocking or {}).get(draft.id, []):
                lines.append("\n    ✗ ", style="bold red")
                lines.append_text(literal(problem))
        self.query_one("#export-drafts", Static).update(lines or Text("No drafts yet."))

    @work(thread=True, exclusive=True, group="export-check")
    def check_drafts(self) -> None:
        """What would block the export: the rules, with real key lookups (gpg)."""
        state = self.session.state
        keys = comms.key_lookup(self.app.keyring.resolve, state)
        blocking = {}
        for draft in state.drafts.values():
            if draft.status == "approved" and draft.approvals:
                found = comms.review(state, self.session.policy, draft, keys)
                blocking[draft.id] = [
                    f"{f.rule}: {f.message}" for f in found if f.severity == ERROR
                ]
        self.post_message(ExportChecked(blocking))

    @on(ExportChecked)
    def drafts_checked(self, message: ExportChecked) -> None:
        self.show_drafts(message.blocking)

    def on_input_submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        folder = Path(self.query_one("#export-folder", Input).value.strip()).expanduser()
        sign_key = self.query_one("#export-sign", Input).value.strip()
        self.query_one("#export-help", Static).update(literal("Exporting…"))
        self.run_export(folder, sign_key)

    @work(thread=True, exclusive=True, group="export")
    def run_export(self, folder: Path, sign_key: str) -> None:
        try:
            result = export_drafts(self.session, folder, self.app.keyring, sign_key=sign_key)
        except (ExportError, OSError) as exc:
            self.post_message(ExportDone(None, str(exc)))
            return
        summary = f"Exported {result.drafts} drafts ({len(result.files)} files) to {result.out}"
        self.post_message(ExportDone(result.out, summary))

    @on(ExportDone)
    def finished(self, done: ExportDone) -> None:
        out, message = done.out, done.summary
        self.done = out
        style = "green" if out else "bold red"
        self.query_one("#export-help", Static).update(literal(message, style, single_line=False))
        show_result(self.app, message.splitlines()[0], "information" if out else "error")

    def action_dismiss_export(self) -> None:
        self.dismiss(self.done)
