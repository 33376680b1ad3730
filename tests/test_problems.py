"""The coding problems' hidden tests catch realistic wrong solutions: mutation testing in
check-problems, complexity tests timed against the reference, and the correctness cap."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.backends.offline.grader import level_from_tests
from simulator.catalog import CatalogError, check_cut_values, load_catalog
from simulator.coding.checks import check_problem, check_problem_full
from simulator.coding.hidden import FLOOR, complexity_limits, run_hidden
from simulator.coding.runner import RunReport
from simulator.models import CodingSpec, KeyPoint, Question, WrongSolution
from simulator.models import TestCase as Case
from tests.conftest import run_cli

SEARCH = """def search(nums, target):
    lo, hi = 0, len(nums) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if nums[mid] == target:
            return mid
        if nums[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
"""


def sorted_search_spec(**overrides) -> CodingSpec:
    fields = {
        "entry": "search",
        "signature": "def search(nums, target)",
        "setup": "_BIG = list(range(1_000_000))",
        "starter": "def search(nums, target):\n    return -1\n",
        "reference": SEARCH,
        "examples": [Case(call="search([1, 2, 3], 2)", expected="1")],
        "tests": [
            Case(call="search([1], 1)", expected="0", tags=["edge"]),
            Case(call="search([1, 3], 2)", expected="-1"),
            Case(call="search([1, 3, 5], 5)", expected="2"),
        ],
        "time_limit": 3,
    }
    fields.update(overrides)
    return CodingSpec(**fields)


def question(spec: CodingSpec) -> Question:
    return Question(
        id="swe-coding/test-search",
        round="swe-coding",
        title="search",
        prompt="search a sorted list",
        key_points=[
            KeyPoint(id="k", criterion="correctness", text="binary search", signals=["binary"])
        ],
        coding=spec,
    )


LINEAR = "def search(nums, target):\n    return nums.index(target) if target in nums else -1\n"
HEAVY = Case(
    call="[search(_BIG, t) for t in range(0, 1_000_000, 50)]",
    check="result == list(range(0, 1_000_000, 50))",
    tags=["complexity"],
)


# ---------------------------------------------------------------- mutation testing


def test_check_problems_fails_when_a_wrong_solution_passes_every_test():
    wrong = [
        WrongSolution(why="linear scan", code=LINEAR),
        # (an off-by-one that fails at once: one that loops would wait out the time limit)
        WrongSolution(why="off by one", edits=[("len(nums) - 1", "len(nums) - 2")]),
        WrongSolution(why="strict loop", edits=[("while lo <= hi:", "while lo < hi:")]),
    ]
    weak = check_problem_full(question(sorted_search_spec(wrong_solutions=wrong)))
    # The small tests miss the linear scan: nothing asks for a size where O(n) is too slow.
    assert any(
        "wrong solution 1 (linear scan) passes every hidden test" in p for p in weak.problems
    )
    assert weak.caught == 2 and weak.wrong == 3
    assert weak.line().startswith("FAIL")

    strong_tests = [*sorted_search_spec().tests, HEAVY]
    strong = check_problem_full(
        question(sorted_search_spec(tests=strong_tests, wrong_solutions=wrong))
    )
    assert strong.problems == [], strong.problems
    assert strong.caught == 3
    assert strong.line().startswith("ok") and "wrong solutions caught 3/3" in strong.line()


def test_fewer_than_three_wrong_solutions_or_a_broken_edit_is_reported():
    wrong = [WrongSolution(why="typo in the edit", edits=[("lo = mid + 2", "lo = mid")])]
    problems = check_problem(question(sorted_search_spec(wrong_solutions=wrong)))
    assert "only 1 wrong solutions listed (at least 3)" in problems
    assert any("occurs 0 times in the reference" in p for p in problems)


def test_a_wrong_solution_is_code_or_edits_not_both():
    with pytest.raises(ValueError):
        WrongSolution(why="both", code="x = 1", edits=[("a", "b")])
    with pytest.raises(ValueError):
        WrongSolution(why="neither")
    edited = WrongSolution(why="w", edits=[("lo <= hi", "lo < hi")]).source(SEARCH)
    assert "while lo < hi:" in edited and "while lo <= hi:" not in edited


def test_every_coding_problem_lists_three_wrong_solutions_that_apply(catalog):
    coding = [q for q in catalog.questions.values() if q.coding is not None]
    assert len(coding) >= 45
    for q in coding:
        assert q.coding is not None
        assert len(q.coding.wrong_solutions) >= 3, q.id
        for wrong in q.coding.wrong_solutions:
            assert wrong.why.strip() and "\n" not in wrong.why.strip(), q.id
            assert wrong.source(q.coding.reference) != q.coding.reference, (q.id, wrong.why)
        assert any(t.tags for t in q.coding.tests), f"{q.id}: no edge or complexity test tagged"


# The eight wrong solutions the issue found passing 100 % of the hidden tests.
NAMED = [
    ("swe-coding/search-rotated-sorted-array", "a linear scan"),
    ("swe-coding/rotting-oranges", "rescans the whole grid every minute"),
    ("ai-coding/top-k-top-p-sampling", "temperature after the top-p cut"),
    ("ai-coding/kmeans", "uniform random initialisation"),
    ("ai-coding/classification-metrics", "pairwise AUC"),
    ("ai-coding/gini-split", "brute force"),
    ("ai-coding/cosine-knn", "argpartition"),
    ("ai-coding/layer-norm", "one-pass variance"),
]


@pytest.fixture(scope="module")
def wrong_report(catalog):
    """run_hidden of a named wrong solution, once per module: a complexity test makes it wait
    out its time limit, and two tests look at the linear scan's report."""
    reports: dict[tuple[str, str], RunReport] = {}

    def report(question_id: str, why: str) -> RunReport:
        if (question_id, why) not in reports:
            spec = catalog.questions[question_id].coding
            assert spec is not None
            wrong = next(w for w in spec.wrong_solutions if why in w.why)
            reports[question_id, why] = run_hidden(wrong.source(spec.reference), spec)
        return reports[question_id, why]

    return report


@pytest.mark.parametrize(("question_id", "why"), NAMED)
def test_the_wrong_solutions_named_in_the_issue_fail_a_hidden_test(
    catalog, wrong_report, question_id, why
):
    spec = catalog.questions[question_id].coding
    assert spec is not None
    report = wrong_report(question_id, why)
    assert report.verdict in ("failed", "timeout"), report.message
    failed = [spec.tests[o.index] for o in report.outcomes if not o.passed]
    # what catches it is a tagged edge-case or complexity test
    assert any(t.tags for t in failed), [t.call for t in failed]


# ---------------------------------------------------------------- complexity tests


def test_complexity_tests_run_on_their_own_under_a_limit_relative_to_the_reference():
    spec = sorted_search_spec(tests=[*sorted_search_spec().tests, HEAVY])
    limits = complexity_limits(spec)
    assert limits.wall_seconds >= FLOOR
    good = run_hidden(SEARCH, spec)
    assert good.verdict == "passed" and good.passed == good.total == 4

    slow = run_hidden(LINEAR, spec)
    # the ordinary tests still count; only the complexity test fails, by time
    assert [o.passed for o in slow.outcomes] == [True, True, True, False]
    assert [o.index for o in slow.outcomes] == [0, 1, 2, 3]
    assert slow.verdict == "timeout" and slow.passed == 3 and slow.total == 4
    assert "large inputs" in slow.message
    assert slow.seconds < limits.wall_seconds + 5  # killed at the limit, not run to the end


def test_a_syntax_error_does_not_run_the_complexity_tests():
    spec = sorted_search_spec(tests=[*sorted_search_spec().tests, HEAVY])
    report = run_hidden("def search(nums, target:\n", spec)
    assert report.verdict == "syntax_error" and report.passed == 0 and report.total == 4


def test_failing_an_edge_or_complexity_test_caps_correctness_below_the_top_level(
    catalog, wrong_report
):
    spec = catalog.questions["swe-coding/search-rotated-sorted-array"].coding
    assert spec is not None
    report = wrong_report("swe-coding/search-rotated-sorted-array", "a linear scan")
    assert report.fraction >= 0.75  # most tests pass: the share alone would look good
    assert level_from_tests(report.fraction) <= 3
    assert level_from_tests(run_hidden(spec.reference, spec).fraction) == 4


# ---------------------------------------------------------------- values cut by ` #`


def _node(path: Path):
    return yaml.compose(path.read_text())


def test_a_prose_value_cut_by_a_comment_is_reported_with_its_line(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(
        "title: Top k\n"
        "key_points:\n"
        "  - id: merge\n"
        "    text: an item that is #101 on every shard can be #1 globally\n"
    )
    with pytest.raises(CatalogError, match=r"q\.yaml:4: a value is cut by ` #`"):
        check_cut_values(path, _node(path))


def test_quoted_values_and_comments_after_single_words_are_fine(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text(
        "title: Top k\n"
        "time_limit: 6  # seconds\n"
        'text: "an item that is #101 on every shard"\n'
        "other: issue#12 is not a comment\n"
    )
    check_cut_values(path, _node(path))


def test_the_shipped_catalog_has_no_cut_values_and_every_signal_compiles():
    # The run's only full check (the shared `catalog` fixture skips it: it takes seconds).
    load_catalog(check_signals=True)  # raises CatalogError naming file:line otherwise


def test_check_problems_rejects_a_round_that_is_not_coding_with_one_line():
    result = run_cli("check-problems", "research")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "coding round" in result.stderr
    assert "Traceback" not in result.stderr
