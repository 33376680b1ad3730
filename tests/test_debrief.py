from simulator.debrief import compose_debrief
from simulator.models import CriterionScore, RoundRecord, Scorecard, decision_for


def _round(kind, overall, stage="onsite", weak="Trade-offs"):
    card = Scorecard(
        round=kind,
        question_id=f"{kind}/q",
        grader="offline",
        overall=overall,
        decision=decision_for(overall),
        criteria=[
            CriterionScore(id="a", name=weak, score=max(1, int(overall) - 1)),
            CriterionScore(id="b", name="Other", score=min(4, int(overall) + 1)),
        ],
        improvements=[f"{weak}: say what each choice costs"],
    )
    return RoundRecord(
        round=kind,
        question_id=f"{kind}/q",
        question_title="t",
        question_prompt="p",
        minutes=45,
        stage=stage,
        scorecard=card,
    )


def test_loop_decision_is_the_onsite_mean_when_signal_is_consistent():
    rounds = [
        _round("research", 1.5, "screening"),
        _round("system-design", 3.3),
        _round("behavioral", 3.5),
        _round("swe-coding", 3.4),
    ]
    debrief = compose_debrief(None, rounds)
    assert debrief.decision == "strong_hire"  # the screen does not enter the mean
    assert "screening" in debrief.summary


def test_one_strong_no_hire_caps_the_loop():
    rounds = [_round("system-design", 3.9), _round("behavioral", 3.9), _round("swe-coding", 1.25)]
    debrief = compose_debrief(None, rounds)
    assert sum(r.overall for r in debrief.rounds) / 3 >= 2.5
    assert debrief.decision == "lean_no_hire" and "Capped" in debrief.summary


def test_focus_lists_at_most_three_weakest_areas_with_advice():
    rounds = [
        _round("system-design", 2.0, weak="Capacity estimation"),
        _round("behavioral", 3.0, weak="Result"),
        _round("research", 3.9, weak="Mechanism"),
    ]
    focus = compose_debrief(None, rounds).focus
    assert len(focus) == 3 and focus[0].startswith("Capacity estimation (system-design)")
    assert "say what each choice costs" in focus[0]
