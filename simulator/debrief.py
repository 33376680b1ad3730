"""The loop debrief, weighed the way a hiring committee weighs a loop."""

from __future__ import annotations

from collections import defaultdict

from simulator.models import (
    DECISION_LABELS,
    Debrief,
    LoopPreset,
    RoundKind,
    RoundRecord,
    RoundSignal,
    decision_for,
)


def compose_debrief(loop: LoopPreset | None, rounds: list[RoundRecord]) -> Debrief:
    """Per-round signal, the loop's decision and the three things to work on first.

    The committee reads onsite rounds (a screen only gates the onsite): their mean decides,
    but one strong no-hire onsite caps the loop at lean no-hire, and two lean no-hires or
    worse cap it at lean no-hire too, because a loop hires on consistent signal.
    """
    signals = [
        RoundSignal(
            round=r.round,
            question_id=r.question_id,
            stage=r.stage,
            overall=r.scorecard.overall if r.scorecard else None,
            decision=r.scorecard.decision if r.scorecard else None,
        )
        for r in rounds
    ]
    graded = [s for s in signals if s.overall is not None]
    onsite = [s for s in graded if s.stage == "onsite"] or graded
    if not onsite:
        return Debrief(
            rounds=signals,
            overall=1.0,
            decision="strong_no_hire",
            summary="No round was graded.",
            focus=[],
        )
    scores = [s.overall for s in onsite if s.overall is not None]  # all of them: graded above
    overall = round(sum(scores) / len(scores), 2)
    decision = decision_for(overall)
    weak = [s for s in onsite if s.decision in ("strong_no_hire", "lean_no_hire")]
    capped = ""
    clear_no = any(s.decision == "strong_no_hire" for s in onsite) or len(weak) >= 2
    if clear_no and decision in ("lean_hire", "strong_hire"):
        decision = "lean_no_hire"
        capped = " Capped at lean no hire: the committee will not hire over a clear no-hire round."
    screens = [s for s in graded if s.stage == "screening"]
    screen_note = ""
    if any((s.overall or 0) < 2.5 for s in screens):
        screen_note = " Note: the screening round would likely not have passed to an onsite."
    best = max(onsite, key=lambda s: s.overall or 0)
    worst = min(onsite, key=lambda s: s.overall or 0)
    name = loop.name if loop else "This loop"
    spread = (
        f" Strongest: {best.round} ({best.overall:.2f}); weakest: {worst.round} "
        f"({worst.overall:.2f})."
        if best.overall != worst.overall
        else ""
    )
    summary = (
        f"{name}: {DECISION_LABELS[decision]} ({overall:.2f} across {len(onsite)} onsite "
        f"round{'s' if len(onsite) != 1 else ''}).{spread}{capped}{screen_note}"
    )
    return Debrief(
        rounds=signals,
        overall=overall,
        decision=decision,
        summary=summary,
        focus=focus_areas(rounds),
    )


def focus_areas(rounds: list[RoundRecord], limit: int = 3) -> list[str]:
    """The criteria with the largest weighted gap to a 4 across the loop, with what to do."""
    gaps: dict[tuple[RoundKind, str], list[int]] = defaultdict(list)  # (round, criterion)
    advice: dict[tuple[RoundKind, str], str] = {}
    for record in rounds:
        card = record.scorecard
        if card is None:
            continue
        for score in card.criteria:
            key = (record.round, score.name)
            gaps[key].append(4 - score.score)
        for line in card.improvements:
            name = line.split(":", 1)[0]
            advice.setdefault((record.round, name), line.split(":", 1)[-1].strip())
    ranked = [
        item
        for item in sorted(gaps.items(), key=lambda item: -sum(item[1]) / len(item[1]))
        if sum(item[1]) > 0
    ]
    # One item per round kind first (a loop's three weakest areas are rarely all in one round),
    # then the next largest gaps.
    chosen: list[tuple[RoundKind, str]] = []
    for key, _ in ranked:
        if key[0] not in {k for k, _ in chosen}:
            chosen.append(key)
    chosen += [key for key, _ in ranked if key not in chosen]
    out = []
    for round_kind, name in chosen[:limit]:
        tip = advice.get((round_kind, name))
        out.append(f"{name} ({round_kind})" + (f": {tip}" if tip else ""))
    return out
