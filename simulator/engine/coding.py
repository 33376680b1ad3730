"""Coding rounds: run the visible examples as often as wanted; a submission runs the hidden
tests and is recorded with its result, which grades the correctness criterion."""

from __future__ import annotations

import ast
import asyncio

from simulator.coding.hidden import run_hidden
from simulator.coding.runner import RunReport, run_tests
from simulator.engine.round import RoundRunner
from simulator.models import Question, Turn


def report_summary(report: RunReport) -> str:
    if report.verdict in ("passed", "failed"):
        return f"{report.passed}/{report.total} tests passed"
    return f"{report.passed}/{report.total} tests passed — {report.message}"


def is_submission(text: str, question: Question | None) -> bool:
    """A block of an answers file is code to submit when it parses and defines the entry point;
    otherwise it is a spoken answer to a follow-up (complexity, edge cases)."""
    if question is None or question.coding is None:
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        # Broken code is still a submission when it tries to define the entry point.
        return f"def {question.coding.entry}" in text or f"class {question.coding.entry}" in text
    return any(
        isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.name == question.coding.entry
        for node in ast.walk(tree)
    )


async def run_examples(question: Question, code: str) -> RunReport:
    if question.coding is None:
        raise ValueError(f"{question.id} has no tests to run")
    return await asyncio.to_thread(run_tests, code, question.coding, "examples")


async def submit_code(runner: RoundRunner, code: str) -> tuple[Turn, RunReport | None]:
    """Run the hidden tests, then record the code with its result (before any reply)."""
    question = runner.ctx.question
    if question is None or question.coding is None:
        return runner.record_answer(code, "code"), None
    report = await asyncio.to_thread(run_hidden, code, question.coding)
    turn = runner.record_answer(
        code,
        "code",
        tests_passed=report.passed,
        tests_total=report.total,
        test_summary=report_summary(report),
    )
    return turn, report
