"""The one place a screen learns that its app is an OnsiteApp.

Textual types `Screen.app` as a plain `App`; the screens need the onsite parts (settings,
catalog, store, drafts, clock, play). `OnsiteScreen.onsite` narrows it once, here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen, ScreenResultType

if TYPE_CHECKING:  # app.py imports the screens lazily; this import is for the checker only
    from simulator.tui.app import OnsiteApp


class OnsiteScreen(Screen[ScreenResultType]):
    """A screen that runs inside an OnsiteApp (every screen of this package does)."""

    @property
    def onsite(self) -> OnsiteApp:
        return cast("OnsiteApp", self.app)
