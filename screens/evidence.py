"""The evidence register: items, their hashes, where they are kept, chain of custody.

Adding an item with a file path hashes the file in a thread worker (streamed: a
disk image of any size in constant memory) and registers the item when the hash
is done (hashing.py: the worker belongs to the main screen, so closing the
register does not stop a long hash; its progress shows here whenever the
register is open again).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from warroom.evidence import DEFAULT_RETENTION_DAYS, EVIDENCE_KINDS
from warroom.state import Evidence

from .hashing import HashJob, human_size
from .keys import REGISTER_KEYS
from .register import Column, FormField, RegisterScreen, cell, selected_key, utc
from .safe import assemble, literal, show_result

SHORT_HASH = 8


def short_hash(sha256: str) -> str:
    return sha256[:SHORT_HASH] + "…" if sha256 else "—"


def item_details(item: Evidence) -> Text:
    """Everything about one item, its custody notes in order."""
    text = assemble((item.id, "bold"), f"  {item.kind}  ", (item.item, "bold"))
    if item.read_only:
        text.append("  read-only")
    else:
        text.append("  NOT read-only", style="bold red")
    text.append("\nSHA-256  ")
    text.append(item.sha256 or "not recorded", style="" if item.sha256 else "dim")
    if item.size is not None:
        text.append(f"   size {human_size(item.size)}")
    if item.source:
        text.append("\nFrom     ")
        text.append_text(literal(item.source))
    text.append("\nKept at  ")
    text.append_text(literal(item.location or "(not said)"))
    text.append("\nCollected by ")
    text.append_text(literal(item.collected_by))
    retain = utc(item.retain_until, date_only=True)
    text.append(f" at {utc(item.collected_at)}; retain until {retain}")
    text.append("\nChain of custody", style="bold underline")
    if not item.custody:
        text.append("\n  no notes yet (c adds one)", style="dim")
    for note in item.custody:
        text.append(f"\n  {utc(note.at)}  ")
        text.append_text(assemble((note.by, "italic"), "  ", note.text))
    return text


class EvidenceScreen(RegisterScreen):
    NAME = "evidence"
    TITLE = "Evidence register"
    BINDINGS = REGISTER_KEYS["evidence"]
    COLUMNS = (  # 120 wide with the cell padding; narrower, Item narrows, then the last go
        Column("ID", 7),
        Column("Kind", 11),
        Column("Item", 21, shrink_to=14),
        Column("SHA-256", SHORT_HASH + 1, drop=4),
        Column("Kept at", 14, shrink_to=10),
        Column("RO", 3),
        Column("Collected by", 12, drop=3),
        Column("Collected", 12, drop=2),
        Column("Retain until", 12, drop=1),
    )

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="evidence-table", cursor_type="row", classes="register-table")
        yield Static(id="evidence-progress")
        with VerticalScroll(id="evidence-details", classes="register-details"):
            yield Static(id="evidence-detail")

    def prepare(self) -> None:
        self.query_one(DataTable).focus()

    def view_key(self) -> object:
        return tuple(
            (e.id, e.item, e.kind, e.sha256, e.location, e.read_only, len(e.custody))
            for e in self.session.state.evidence.values()
        )

    def show(self) -> None:
        items = list(self.session.state.evidence.values())
        self.fill(
            (
                (
                    e.id,
                    (
                        cell(e.id, "bold"),
                        cell(e.kind),
                        cell(e.item),
                        cell(short_hash(e.sha256), "" if e.sha256 else "dim"),
                        cell(e.location or "—"),
                        cell("yes" if e.read_only else "NO", "" if e.read_only else "bold red"),
                        cell(e.collected_by),
                        cell(utc(e.collected_at, short=True)),
                        cell(utc(e.retain_until, date_only=True)),
                    ),
                )
                for e in items
            ),
        )
        self.set_title(f"{len(items)} item(s)")
        self.show_details()

    def selected(self) -> Evidence | None:
        key = selected_key(self.query_one(DataTable))
        return self.session.state.evidence.get(key) if key else None

    @on(DataTable.RowHighlighted)
    def show_details(self) -> None:
        item = self.selected()
        detail = item_details(item) if item else literal("No evidence yet: a adds an item.", "dim")
        self.query_one("#evidence-detail", Static).update(detail)

    def show_progress(self) -> None:
        jobs = self.host.hash_jobs
        progress = self.query_one("#evidence-progress", Static)
        progress.display = bool(jobs)
        progress.update(Text("\n").join(job.describe() for job in jobs))

    def hashed(self, key: str) -> None:
        """An item was registered from a hashed file: select it (as one added without)."""
        self.select(key)

    def state_changed(self) -> None:
        super().state_changed()
        if self.is_mounted:
            self.show_progress()

    # -- actions -------------------------------------------------------------------

    def action_add(self) -> None:
        self.open_form(
            "Add evidence",
            [
                FormField("item", "Item", placeholder="what it is (a file's name if empty)"),
                FormField("kind", "Kind", options=EVIDENCE_KINDS),
                FormField("location", "Kept at", placeholder="where it is kept"),
                FormField("file", "File", placeholder="optional: a path to hash (SHA-256)"),
                FormField("sha256", "SHA-256", placeholder="or the hash, if taken elsewhere"),
                FormField("retain", "Keep days", str(DEFAULT_RETENTION_DAYS)),
                FormField("read_only", "Read-only", "yes", options=("yes", "no")),
            ],
            self.submit_item,
        )

    def submit_item(self, values: dict[str, str]) -> bool:
        item, file, sha = values["item"].strip(), values["file"].strip(), values["sha256"].strip()
        try:
            retain = int(values["retain"].strip() or DEFAULT_RETENTION_DAYS)
        except ValueError:
            show_result(self.app, "Keep days must be a whole number of days", "error")
            return False
        fields = {
            "kind": values["kind"],
            "location": values["location"].strip(),
            "read_only": values["read_only"] == "yes",
            "retain_days": retain,
        }
        if not file:
            return self.add(lambda: self.session.add_evidence(item, sha256=sha, **fields))
        if sha:
            show_result(self.app, "Give a file to hash or a SHA-256, not both", "error")
            return False
        path = Path(file).expanduser()
        if not path.exists() or path.is_dir():
            show_result(
                self.app,
                f"{path}: {'is a directory' if path.is_dir() else 'no such file'}",
                "error",
            )
            return False
        if retain < 1:
            show_result(self.app, "evidence is kept at least one day", "error")
            return False
        job = HashJob(path)
        self.host.hash_jobs.append(job)
        self.host.hash_file(job, item or path.name, fields)
        self.show_progress()
        return True

    def action_custody(self) -> None:
        item = self.selected()
        if item is None:
            show_result(self.app, "Select an item first (a adds one)", "warning")
            return
        self.open_form(
            f"Custody note for {item.id}",
            [
                FormField("text", "Note", placeholder="who took it where, who looked at it"),
                FormField("location", "Now kept", placeholder="optional: its new location"),
            ],
            lambda v: self.write(
                lambda: self.session.note_custody(
                    item.id, v["text"], location=v["location"].strip()
                )
            ),
        )
