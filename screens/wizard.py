"""`warroom new`: declare an incident from inside the console."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from warroom import codename as codenames
from warroom import limits
from warroom.events import INCIDENT_KINDS, SEVERITIES
from warroom.fileaccess import shared_directory_warning
from warroom.session import Session, SessionError

from .keys import WIZARD_KEYS
from .messages import Declared, DeclareFailed, Unlocked
from .safe import literal, show_result


class NewIncidentScreen(Screen):
    """Kind, severity, title, codename (re-roll with ctrl+r), passphrase twice, file,
    and whether the file is shared with the group (as `warroom init --shared`)."""

    BINDINGS = WIZARD_KEYS

    def __init__(self, directory: Path, kdf: str = "moderate") -> None:
        super().__init__()
        self._directory = directory
        self._kdf = kdf

    def compose(self) -> ComposeResult:
        name = codenames.generate()
        with VerticalScroll(id="new-form"):
            yield Static("Declare an incident", id="new-title")
            for label, widget in [
                (
                    "Kind",
                    Select(
                        [(k, k) for k in INCIDENT_KINDS],
                        value="security",
                        allow_blank=False,
                        id="new-kind",
                        compact=True,
                    ),
                ),
                (
                    "Severity",
                    Select(
                        [(f"SEV{s}", s) for s in SEVERITIES],
                        value=2,
                        allow_blank=False,
                        id="new-severity",
                        compact=True,
                    ),
                ),
                (
                    "Title",
                    Input(placeholder="short, kept encrypted", id="new-title-input", compact=True),
                ),
                ("Codename", Input(name, id="new-codename", compact=True)),
                ("Passphrase", Input(password=True, id="new-pass", compact=True)),
                ("Again", Input(password=True, id="new-pass2", compact=True)),
                ("File", Input(str(self._directory / f"{name}.db"), id="new-path", compact=True)),
                (
                    "Shared",
                    Checkbox(
                        "with my group (0660; put it in a setgid directory)",
                        id="new-shared",
                        compact=True,
                    ),
                ),
            ]:
                with Horizontal(classes="draft-row"):
                    yield Label(label)
                    yield widget
            yield Button("Declare (ctrl+s)", id="new-declare")
            yield Static("", id="new-status")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.query_one("#new-title-input").focus()

    def action_reroll(self) -> None:
        codename_input = self.query_one("#new-codename", Input)
        path_input = self.query_one("#new-path", Input)
        old = codename_input.value
        codename_input.value = codenames.generate()
        if Path(path_input.value).name == f"{old}.db":
            path_input.value = str(Path(path_input.value).with_name(f"{codename_input.value}.db"))

    def status(self, text: str) -> None:
        self.query_one("#new-status", Static).update(literal(text))

    @on(Button.Pressed, "#new-declare")
    @on(Input.Submitted)
    def action_declare(self) -> None:
        value = {i.id: i.value for i in self.query(Input)}
        path = Path(value["new-path"]).expanduser()
        codename = value["new-codename"].strip()
        if not value["new-pass"]:
            self.status("A passphrase is required.")
        elif value["new-pass"] != value["new-pass2"]:
            self.status("The passphrases differ.")
        elif short := limits.too_short(value["new-pass"]):
            self.status(short[0].upper() + short[1:] + ".")
        elif not codenames.is_innocuous(codename):
            self.status("That codename gives the incident away: pick an innocuous one.")
        elif path.exists():
            self.status(f"{path} exists; choose another file.")
        else:
            self.status("Declaring… (deriving the key)")
            self.declare(
                path,
                value["new-pass"],
                codename,
                value["new-title-input"],
                str(self.query_one("#new-kind", Select).value),
                int(self.query_one("#new-severity", Select).value),
                self.query_one("#new-shared", Checkbox).value,
            )

    @work(thread=True, exclusive=True, group="declare")
    def declare(
        self,
        path: Path,
        passphrase: str,
        codename: str,
        title: str,
        kind: str,
        severity: int,
        shared: bool,
    ) -> None:
        try:
            session = Session.create(
                path,
                passphrase,
                kdf=self._kdf,
                codename=codename,
                title=title,
                kind=kind,
                severity=severity,
                device=self.app.device,
                shared=shared,
            )
        except SessionError as exc:
            self.post_message(DeclareFailed(str(exc)))
            return
        warning = shared_directory_warning(path) if shared else None
        self.post_message(Declared(session, path, warning))

    @on(DeclareFailed)
    def declare_failed(self, message: DeclareFailed) -> None:
        self.status(message.reason)

    @on(Declared)
    def declared(self, message: Declared) -> None:
        if message.warning:
            show_result(self.app, message.warning, "warning", timeout=15)
        self.app.incident_path = message.path
        self.post_message(Unlocked(message.session))
