"""The candidate profile and the interviewer persona, saved in the config file."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from simulator.config import remember
from simulator.models import Persona
from simulator.tui.screens.base import OnsiteScreen

FIELDS = [
    ("name", "Your name", "profile"),
    ("target_role", "Target role (e.g. research engineer, applied scientist)", "profile"),
    ("specialization", "Specialization (e.g. computer vision, NLP, RL)", "profile"),
    ("cv_file", "CV file (text or Markdown)", "profile"),
    ("field", "Interviewer's field", "persona"),
    ("seniority", "Interviewer's seniority", "persona"),
    ("style", "Interviewer's style (friendly, skeptical, tough…)", "persona"),
]


class ProfileScreen(OnsiteScreen[None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save", priority=True),
        Binding("escape", "app.pop_screen", "Back", id="back"),
    ]

    def compose(self) -> ComposeResult:
        settings = self.onsite.settings
        with VerticalScroll(id="profile-form"):
            yield Static("Candidate profile and interviewer persona", classes="section")
            for key, label, group in FIELDS:
                source = settings.profile if group == "profile" else settings.persona
                yield Label(label)
                yield Input(str(getattr(source, key) or ""), id=f"{group}-{key}")
            yield Button("Save (ctrl+s)", id="save", variant="primary")
        yield Footer()

    def on_button_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        values = {
            f"{g}-{k}": self.query_one(f"#{g}-{k}", Input).value.strip() for k, _, g in FIELDS
        }
        cv = values["profile-cv_file"]
        if cv and not Path(cv).expanduser().is_file():
            self.notify(f"No file at {cv}", severity="error")
            return
        settings = self.onsite.settings
        for key, _, group in FIELDS:
            value = values[f"{group}-{key}"]
            if group == "profile":
                setattr(settings.profile, key, value or (None if key == "cv_file" else ""))
            elif value:
                setattr(settings.persona, key, value)
        settings.persona = Persona(**settings.persona.model_dump())
        try:
            path = remember(
                {"profile": settings.profile.model_dump(), "persona": settings.persona.model_dump()}
            )
        except OSError as err:
            self.notify(f"Cannot save the config: {err.strerror}", severity="error")
            return
        self.notify(f"Saved to {path}")
        self.app.pop_screen()
