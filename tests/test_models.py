import pytest
from pydantic import ValidationError

from simulator.models import Criterion, Transcript, decision_for


@pytest.mark.parametrize(
    ("overall", "decision"),
    [
        (1.0, "strong_no_hire"),
        (1.74, "strong_no_hire"),
        (1.75, "lean_no_hire"),
        (2.49, "lean_no_hire"),
        (2.5, "lean_hire"),
        (3.24, "lean_hire"),
        (3.25, "strong_hire"),
        (4.0, "strong_hire"),
    ],
)
def test_decision_thresholds_follow_the_contract(overall, decision):
    assert decision_for(overall) == decision


def test_a_criterion_must_describe_every_level():
    with pytest.raises(ValidationError):
        Criterion(id="x", name="X", weight=1, description="d", levels={1: "a", 2: "b", 4: "d"})


def test_a_loop_transcript_names_its_loop():
    with pytest.raises(ValidationError):
        Transcript(session_id="s", kind="loop")
    assert Transcript(session_id="s", kind="practice").schema_version == 1
