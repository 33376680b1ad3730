"""Sandboxed runner for candidates' code, and the consistency checks of coding problems."""

from simulator.coding.runner import Limits, RunReport, TestOutcome, run_tests

__all__ = ["Limits", "RunReport", "TestOutcome", "run_tests"]
