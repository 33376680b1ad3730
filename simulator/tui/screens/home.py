"""Home: practise a round, run a loop, review, resume; the backend and the candidate profile."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Header, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from simulator.backends.base import BackendError, Interviewer
from simulator.engine import launch
from simulator.models import CandidateProfile, LoopPreset
from simulator.tui.screens.base import OnsiteScreen

RANDOM = "__random__"


MIN_MINUTES, MAX_MINUTES = launch.MIN_MINUTES, launch.MAX_MINUTES


class HomeScreen(OnsiteScreen[None]):
    BINDINGS = [
        Binding("p", "focus_practice", "Practise", id="practise"),
        Binding("l", "focus_loop", "Loop", id="loop"),
        Binding("r", "app.review", "Review", id="review"),
        Binding("e", "app.profile", "Profile", id="profile"),
    ]

    _questions_of = "system-design"
    """The round kind whose questions the question list shows."""

    def compose(self) -> ComposeResult:
        catalog = self.onsite.catalog
        yield Header()
        with Horizontal(id="home"):
            with VerticalScroll(id="start"):
                yield Static("Practise a round", classes="section")
                yield Select(
                    [(r.name, k) for k, r in catalog.rubrics.items()],
                    id="round",
                    prompt="Round kind",
                    value="system-design",
                )
                yield Select(
                    self._question_options("system-design"),
                    id="question",
                    value=RANDOM,
                    allow_blank=False,
                )
                yield Input(
                    placeholder=f"Minutes, {MIN_MINUTES}-{MAX_MINUTES} (default: the question's)",
                    id="minutes",
                    type="integer",
                    max_length=3,
                )
                yield Button("Start the round", id="start-practice", variant="primary")
                yield Static("Run a mock onsite loop", classes="section")
                yield Select(
                    [(loop.name, loop.id) for loop in catalog.loops.values()],
                    id="loop",
                    prompt="Loop preset",
                )
                yield Input(placeholder="…or the path of your own loop YAML file", id="loop-file")
                yield Button("Start the loop", id="start-loop", variant="primary")
                yield Static("Continue an interrupted session", classes="section")
                yield OptionList(id="resume")
                yield Button("Review past sessions (r)", id="review")
            with Vertical(id="side"):
                yield Static("", id="backend-info", markup=False)
                yield Static("", id="profile-info", markup=False)
                yield Button("Edit profile (e)", id="edit-profile")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_sessions()
        self.refresh_profile()
        self.query_one("#round", Select).focus()

    # -------------------------------------------------------------- panels

    def refresh_sessions(self) -> None:
        options = self.query_one("#resume", OptionList)
        pending = self.onsite.store.interrupted()
        if not pending and not options.option_count:
            options.display = False
            return
        options.clear_options()
        for summary in pending[:20]:
            label = f"{summary.created_at:%Y-%m-%d %H:%M}  {summary.title}"
            options.add_option(Option(label, id=summary.session_id))
        options.display = bool(pending)

    def refresh_profile(self) -> None:
        settings = self.onsite.settings
        backend = settings.resolved_backend()
        model = settings.model or ("(none)" if backend == "offline" else "gpt-4o-mini")
        self.query_one("#backend-info", Static).update(
            f"Interviewer backend: {backend}\nModel: {model}\n"
            f"Transcripts: {settings.transcripts_dir}"
        )
        p, persona = settings.profile, settings.persona
        self.query_one("#profile-info", Static).update(
            "Candidate\n"
            f"  Name: {p.name or '—'}\n  Target role: {p.target_role or '—'}\n"
            f"  Specialization: {p.specialization or '—'}\n  CV: {p.cv_file or '—'}\n\n"
            f"Interviewer persona\n  {persona.describe()}"
        )

    @on(Select.Changed, "#round")
    def _round_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self._questions_of:
            self._fill_questions(event.value)

    def _question_options(self, kind: str) -> list[tuple[str, str]]:
        return [("A random question you have not seen", RANDOM)] + [
            (f"{q.title} ({q.difficulty})", q.id) for q in self.onsite.catalog.questions_for(kind)
        ]

    def _fill_questions(self, kind: str) -> None:
        self._questions_of = kind
        select = self.query_one("#question", Select)
        select.set_options(self._question_options(kind))
        select.value = RANDOM

    # -------------------------------------------------------------- starting

    def _profile(self) -> CandidateProfile:
        p = self.onsite.settings.profile
        cv_text = ""
        if p.cv_file:
            try:
                cv_text = Path(p.cv_file).expanduser().read_text(encoding="utf-8", errors="replace")
            except OSError:
                self.notify(f"Cannot read the CV file {p.cv_file}", severity="warning")
        return CandidateProfile(
            name=p.name, target_role=p.target_role, specialization=p.specialization, cv_text=cv_text
        )

    def _interviewer(self) -> Interviewer | None:
        try:
            return self.onsite.new_interviewer()
        except BackendError as err:
            self.notify(str(err), severity="error", timeout=10)
            return None

    def start_practice(
        self, kind: str, question_id: str | None = None, minutes: int | None = None
    ) -> None:
        interviewer = self._interviewer()
        if interviewer is None:
            return
        app = self.onsite
        try:
            session = launch.start_practice(
                app.catalog,
                interviewer,
                app.store,
                kind,
                question_id=question_id,
                minutes=minutes,
                profile=self._profile(),
                persona=app.settings.persona,
                clock=app.clock,
                max_answers=app.settings.max_answers,
            )
        except launch.LaunchError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        app.play(session)

    def start_loop(self, loop: LoopPreset) -> None:
        interviewer = self._interviewer()
        if interviewer is None:
            return
        app = self.onsite
        try:
            session = launch.start_loop(
                app.catalog,
                interviewer,
                app.store,
                loop,
                profile=self._profile(),
                persona=app.settings.persona,
                clock=app.clock,
                max_answers=app.settings.max_answers,
            )
        except launch.LaunchError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        app.play(session)

    @on(Button.Pressed, "#start-practice")
    def _start_practice(self) -> None:
        # Keys typed just before the press may still wait in the Minutes box's queue (a burst,
        # a fast typist): read the fields only once they have been applied.
        self.query_one("#minutes", Input).call_later(self._start_practice_now)

    def _start_practice_now(self) -> None:
        kind = self.query_one("#round", Select).value
        if not isinstance(kind, str):
            self.notify("Choose a round kind first.", severity="warning")
            return
        question = self.query_one("#question", Select).value
        raw = self.query_one("#minutes", Input).value.strip()
        if raw and not raw.isdigit():
            self.notify("Minutes must be a whole number.", severity="warning")
            return
        minutes = int(raw) if raw else None
        try:
            launch.check_minutes(minutes)
        except launch.LaunchError as err:
            self.notify(f"{str(err).capitalize()}.", severity="warning")
            return
        self.start_practice(kind, None if question == RANDOM else str(question), minutes)

    @on(Button.Pressed, "#start-loop")
    def _start_loop(self) -> None:
        self.query_one("#loop-file", Input).call_later(self._start_loop_now)

    def _start_loop_now(self) -> None:
        path = self.query_one("#loop-file", Input).value.strip()
        if path:
            try:
                loop = launch.load_loop(self.onsite.catalog, path)
            except launch.LaunchError as err:
                self.notify(str(err), severity="error", timeout=10)
                return
            self.start_loop(loop)
            return
        preset = self.query_one("#loop", Select).value
        if not isinstance(preset, str):
            self.notify("Choose a loop preset, or give a loop file.", severity="warning")
            return
        self.start_loop(self.onsite.catalog.loops[preset])

    @on(OptionList.OptionSelected, "#resume")
    def _resume(self, event: OptionList.OptionSelected) -> None:
        from simulator.store.transcripts import StoreError

        interviewer = self._interviewer()
        if interviewer is None:
            return
        try:
            transcript = self.onsite.store.load(str(event.option.id))
            session = launch.resume(
                self.onsite.catalog,
                interviewer,
                self.onsite.store,
                transcript,
                clock=self.onsite.clock,
                max_answers=self.onsite.settings.max_answers,
            )
        except (StoreError, launch.LaunchError) as err:
            self.notify(str(err), severity="error")
            return
        self.onsite.play(session)

    @on(Button.Pressed, "#review")
    def _review(self) -> None:
        self.onsite.action_review()

    @on(Button.Pressed, "#edit-profile")
    def _edit_profile(self) -> None:
        self.onsite.action_profile()

    def action_focus_practice(self) -> None:
        self.query_one("#round", Select).focus()

    def action_focus_loop(self) -> None:
        self.query_one("#loop", Select).focus()

    def on_screen_resume(self) -> None:
        self.refresh_sessions()
        self.refresh_profile()

