"""Interviewer backends: `offline` (embedded, the default) and `openai` (any compatible server)."""

from __future__ import annotations

from simulator.backends.base import BackendError, Interviewer


def make_interviewer(settings) -> Interviewer:
    """The backend the settings ask for; the OpenAI SDK is imported only when it is used."""
    backend = settings.resolved_backend()
    if backend == "openai":
        try:
            from simulator.backends.openai_backend import OpenAIInterviewer
        except ImportError as err:
            raise BackendError(f"the openai backend is not available: {err}") from None
        return OpenAIInterviewer.from_settings(settings)
    from simulator.backends.offline.interviewer import OfflineInterviewer

    return OfflineInterviewer()
