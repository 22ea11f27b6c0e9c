"""The handout's running plan ("can I run, and how much?"): plain sentences from ``plan.running``.

Pure text; the PDF renderer prints them as one simple section after the running cues.
"""

from __future__ import annotations

from engine.models.plan import RunningSection

HEADING = "Your running plan"


def _num(x: float) -> str:
    return f"{float(x):g}"


def running_lines(run: RunningSection | None) -> tuple[str, list[str]] | None:
    """Return (intro, lines) for the running section, or None when the plan has none."""
    if run is None:
        return None
    lines: list[str] = []
    if run.target_weekly_km is not None:
        lines.append(f"For the next two weeks: about {_num(run.target_weekly_km)} km a week in total.")
    lines.append(
        f"Pain limit: keep pain at {run.pain_limit_nrs} out of 10 or less while you run, "
        "and settled by the next morning."
    )
    if run.max_increase_2wk_pct:
        lines.append(
            f"After that, add no more than {run.max_increase_2wk_pct}% to your weekly distance over any two weeks."
        )
    if run.entry_criteria:
        lines.append("Start the walk-run plan when all of these are true:")
        lines += list(run.entry_criteria)
    for st in run.walk_run:
        if float(st.walk_min) == 0:
            lines.append(f"Stage {st.stage}: run {_num(st.run_min)} minutes without a break.")
        else:
            lines.append(
                f"Stage {st.stage}: walk {_num(st.walk_min)} min, then run {_num(st.run_min)} min. "
                f"Do this {st.repeats} times."
            )
    if run.walk_run:
        lines.append("Do each stage twice, with a rest day between runs, before you move to the next one.")
    lines += [a.text for a in run.advice]
    return run.summary, lines
