"""Numbers the handout promises, computed once for the plan JSON and the PDF alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def cadence_target_spm(now_spm: float, increase_pct: int) -> int:
    """The metronome beat: today's step rate plus ``increase_pct`` %, to the nearest step
    (164 spm + 5 % → 172)."""
    return int(now_spm * (100 + increase_pct) / 100 + 0.5)


def measured_cadence(findings: Iterable[Mapping[str, Any]]) -> float | None:
    """The measured cadence (steps a minute) from a plan's ``findings`` list, if it was measured."""
    for item in findings:
        if item.get("finding") == "cadence" or item.get("path") == "cadence_spm":
            value = item.get("value")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


def cadence_target(now_spm: float | None, increase_pct: int | None) -> dict[str, Any] | None:
    """The ``cadence_target`` of a plan exercise, or None when the drill has no increase or the
    cadence was not measured."""
    if increase_pct is None or now_spm is None:
        return None
    return {"now_spm": now_spm, "increase_pct": increase_pct, "target_spm": cadence_target_spm(now_spm, increase_pct)}
