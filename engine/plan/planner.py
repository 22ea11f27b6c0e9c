"""Assemble a plan from rule firings: pure, deterministic, with every choice's reason.

Precedence (documented in README, tested):

1. an urgent referral removes every exercise;
2. exclusions beat prescriptions whatever order they fired in: an excluded exercise moves
   down its ladder to the first allowed level, or leaves the plan;
3. limits (e.g. high irritability) cap ladder levels and dose steps;
4. one exercise per ladder: duplicates merge (lowest level, sides combined, every reason kept);
5. order: rule priority, then rule id, then exercise id; at most ``plan.max_exercises``;
6. a rule's cues leave with its prescriptions when every one of them was excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine import __version__
from engine.errors import LinkError
from engine.evaluate.compiler import tested_fields
from engine.evaluate.derive import resolve
from engine.evaluate.facts import FactSet
from engine.load.library import ExerciseLibrary
from engine.models.assessment import Assessment
from engine.models.exercise import Exercise
from engine.models.firing import Firing
from engine.models.plan import (
    STOPS_EXERCISE,
    URGENCY_ORDER,
    Because,
    CadenceTarget,
    ClientRef,
    ClinicianRef,
    Dose,
    Excluded,
    FindingItem,
    GeneratedWith,
    PainSite,
    Plan,
    PlanExercise,
    Referral,
    RunningSection,
    TextItem,
    TraceItem,
    WalkRunStep,
)
from engine.models.rule import Action, Rule
from engine.models.thresholds import Thresholds
from engine.plan.targets import cadence_target

SIDES = ("left", "right")
RUN_ORDER = ("stop", "walk_run", "reduce", "continue")
"""Running status, most conservative first; the most conservative fired status wins."""


@dataclass
class _Rx:
    exercise: Exercise
    side: str
    dose: int
    priority: int
    rule: str
    because: list[Because]
    side_dose: dict[str, int] = field(default_factory=dict)
    extra: set[str] = field(default_factory=set)


@dataclass
class _Collected:
    referrals: list[Referral] = field(default_factory=list)
    prescriptions: list[_Rx] = field(default_factory=list)
    exclusions: list[tuple[str, str, str, str]] = field(default_factory=list)  # (what, value, rule, reason)
    limits: list[tuple[int | None, int | None, str, tuple[str, ...] | None]] = field(default_factory=list)
    texts: dict[str, list[TextItem]] = field(default_factory=lambda: {"precaution": [], "cue": [], "educate": []})
    reviews: list[int] = field(default_factory=list)
    trace: list[TraceItem] = field(default_factory=list)
    placed_rules: set[str] = field(default_factory=set)
    referred_flags: set[str] = field(default_factory=set)
    running: list[tuple[str, int, str, str]] = field(default_factory=list)  # (status, priority, rule, text)


def describe(fact: dict[str, Any], sources: dict[str, Any]) -> list[str]:
    """Describe a matched fact as ``path=value`` findings, or ``kind(field=value)`` if derived."""
    if sources and "derived_by" not in fact:
        return [f"{k}={_show(v)}" for k, v in sorted(sources.items())]
    attrs = ", ".join(
        f"{k}={_show(v)}" for k, v in sorted(fact.items()) if k not in ("kind", "fid", "derived_by", "_j")
    )
    return [f"{fact['kind']}({attrs})"]


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return f"{v:.1f}"
    return str(v)


class Reasons:
    """Turns firings into ``because`` records and trace lines (assessment and progression)."""

    def __init__(self, rules: dict[str, Rule], sources: dict[str, dict[str, Any]]) -> None:
        self.rules = rules
        self.sources = dict(sources)
        self._tested: dict[str, dict[str, set[str]]] = {}

    def _evidence_of(self, rule: Rule, alias: str, fact: dict[str, Any]) -> dict[str, Any]:
        """Findings behind a bound fact; for summary facts, the fields the rule tested."""
        found = self.sources.get(str(fact.get("fid")))
        if found:
            return found
        if rule.id not in self._tested:
            self._tested[rule.id] = tested_fields(rule.when)
        fields = self._tested[rule.id].get(alias, set())
        return {f"{fact['kind']}.{k}": fact[k] for k in sorted(fields) if k in fact}

    def record(self, firing: Firing) -> tuple[Because, TraceItem]:
        """Return the firing's reason (rule, findings with values, evidence) and its trace line.

        Facts the firing derived inherit its findings, so later rules explain back to them.
        """
        rule = self.rules[firing.rule]
        evidence = {alias: self._evidence_of(rule, alias, f) for alias, f in firing.bindings.items()}
        values = {k: v for found in evidence.values() for k, v in found.items()}
        why = Because(
            rule=rule.id, findings=sorted(values), values=dict(sorted(values.items())), evidence=list(rule.evidence)
        )
        for made in firing.derived:
            self.sources[str(made["fid"])] = dict(why.values)
        fired_on = [d for alias, f in firing.bindings.items() for d in describe(f, evidence[alias])]
        derived = [{k: v for k, v in d.items() if k not in ("fid", "_j")} for d in firing.derived]
        return why, TraceItem(rule=rule.id, fired_on=fired_on, derived=derived)


def add_text(texts: dict[str, list[TextItem]], rule_id: str, action: Action) -> None:
    """Add an action's precaution, cue or education point unless the same words are there."""
    for key in ("precaution", "cue", "educate"):
        text = getattr(action, key)
        if text is not None and all(t.text != text for t in texts[key]):
            texts[key].append(TextItem(text=text, rule=rule_id))


class Planner:
    """Builds one plan from firings."""

    def __init__(
        self, library: ExerciseLibrary, rules: dict[str, Rule], thresholds: Thresholds, rules_sha256: str
    ) -> None:
        self.lib, self.rules, self.t = library, rules, thresholds
        self.rules_sha256 = rules_sha256

    def collect(self, firings: list[Firing], facts: FactSet) -> _Collected:
        """Interpret each firing's actions in firing order."""
        out = _Collected()
        reasons = Reasons(self.rules, facts.sources)
        for firing in firings:
            why, line = reasons.record(firing)
            out.trace.append(line)
            rule = self.rules[firing.rule]
            for action in rule.then:
                self._apply(out, rule, action, firing, why)
        return out

    def _apply(self, out: _Collected, rule: Rule, action: Action, firing: Firing, why: Because) -> None:
        if action.refer is not None:
            out.referrals.append(Referral(reason=action.refer.reason, urgency=action.refer.urgency, rule=rule.id))
            out.referred_flags |= {str(f.get("flag")) for f in firing.bindings.values() if f.get("kind") == "red_flag"}
        elif action.prescribe is not None:
            p = action.prescribe
            ex = self.lib.exercises[p.exercise] if p.exercise else self.lib.at(str(p.ladder), int(p.level or 1))
            if ex is not None:
                side = resolve(p.side, firing.bindings) if p.side is not None else "both"
                side = side if side in ("left", "right") and ex.sided else "both"
                extra = {
                    side
                    for f in firing.bindings.values()
                    if f.get("volume") == "extra" and f.get("side") == side and side in SIDES
                }
                out.prescriptions.append(_Rx(ex, side, p.dose, rule.priority, rule.id, [why], extra=extra))
        elif action.exclude is not None:
            e = action.exclude
            what, value = ("exercise", e.exercise) if e.exercise else ("tag", e.tag) if e.tag else ("ladder", e.ladder)
            out.exclusions.append((what, str(value), rule.id, e.reason))
        elif action.limit is not None:
            lim = action.limit
            out.limits.append((lim.max_level, lim.max_dose, rule.id, tuple(lim.ladders) if lim.ladders else None))
        elif action.review_in_days is not None:
            out.reviews.append(action.review_in_days)
        elif action.running is not None:
            out.running.append((action.running.status, rule.priority, rule.id, action.running.text))
        else:
            add_text(out.texts, rule.id, action)

    def _excluded_by(self, ex: Exercise, out: _Collected) -> tuple[str, str] | None:
        for what, value, rule, reason in out.exclusions:
            if (
                (what == "exercise" and ex.id == value)
                or (what == "tag" and value in ex.tags)
                or (what == "ladder" and ex.ladder == value)
            ):
                return rule, reason
        return None

    def _place(self, rx: _Rx, out: _Collected, excluded: list[Excluded]) -> _Rx | None:
        ex: Exercise | None = rx.exercise
        dose = rx.dose
        for max_level, max_dose, _, ladders in out.limits:
            if ladders is not None and ex is not None and ex.ladder not in ladders:
                continue
            while ex is not None and max_level is not None and ex.level > max_level:
                lower = self.lib.neighbour(ex, -1)
                if lower is None:
                    break
                ex = lower
            if max_dose is not None:
                dose = min(dose, max_dose)
        while ex is not None:
            hit = self._excluded_by(ex, out)
            if hit is None:
                break
            if all(x.exercise != ex.id for x in excluded):
                excluded.append(Excluded(exercise=ex.id, rule=hit[0], reason=hit[1]))
            ex = self.lib.neighbour(ex, -1)
        if ex is None:
            return None
        side = rx.side if ex.sided else "both"
        dose = min(dose, len(ex.doses))
        sides = SIDES if side == "both" else (side,)
        return _Rx(ex, side, dose, rx.priority, rx.rule, rx.because, dict.fromkeys(sides, dose), set(rx.extra))

    def exercises(self, out: _Collected) -> tuple[list[PlanExercise], list[Excluded], list[Excluded]]:
        """Resolve prescriptions: limits, exclusions, merging, ordering and the cap."""
        excluded: list[Excluded] = []
        merged_away: list[Excluded] = []
        merged: dict[str, _Rx] = {}
        for rx in out.prescriptions:
            placed = self._place(rx, out, excluded)
            if placed is not None:
                out.placed_rules.add(rx.rule)
            if placed is None:
                continue
            have = merged.get(placed.exercise.ladder)
            if have is None:
                merged[placed.exercise.ladder] = placed
                continue
            if placed.exercise.id != have.exercise.id:
                lower, higher = sorted((have, placed), key=lambda r: r.exercise.level)
                merged_away.append(
                    Excluded(
                        exercise=higher.exercise.id,
                        rule=higher.rule,
                        reason=f"one exercise per ladder: '{lower.exercise.ladder}' keeps the easier "
                        f"{lower.exercise.id} (level {lower.exercise.level}); {higher.exercise.id} "
                        f"(level {higher.exercise.level}) comes later on the same ladder",
                    )
                )
            if placed.exercise.level < have.exercise.level:
                have.exercise = placed.exercise
            have.side = have.side if have.side == placed.side else "both"
            have.dose = min(have.dose, placed.dose)
            for sd, d in placed.side_dose.items():
                have.side_dose[sd] = min(have.side_dose.get(sd, d), d)
            have.extra |= placed.extra
            if (placed.priority, placed.rule) < (have.priority, have.rule):
                have.priority, have.rule = placed.priority, placed.rule
            have.because += [b for b in placed.because if b not in have.because]
        for what, value, rule, reason in out.exclusions:
            if what != "exercise" or all(x.exercise != value for x in excluded):
                label = value if what == "exercise" else f"{what}:{value}"
                if all(x.exercise != label for x in excluded):
                    excluded.append(Excluded(exercise=label, rule=rule, reason=reason))
        ordered = sorted(merged.values(), key=lambda r: (r.priority, r.rule, r.exercise.id))
        cap = self.t.plan.max_exercises
        dropped = [
            Excluded(exercise=r.exercise.id, rule=r.rule, reason=f"the plan keeps the {cap} most important exercises")
            for r in ordered[cap:]
        ]
        kept_ids = {r.exercise.id for r in ordered}
        for m in merged_away:
            if m.exercise not in kept_ids and all(x.exercise != m.exercise for x in [*dropped, *excluded]):
                dropped.append(m)
        return [self._item(r) for r in ordered[:cap]], excluded, dropped

    def _item(self, rx: _Rx) -> PlanExercise:
        ex = rx.exercise
        d = ex.doses[rx.dose - 1]
        dosage = Dose(**d.model_dump())
        extra = _extra_volume_note(rx)
        if extra:
            dosage = dosage.model_copy(update={"note": f"{d.note}. {extra}" if d.note else extra})
        return PlanExercise(
            id=ex.id,
            name=ex.name,
            ladder=ex.ladder,
            level=ex.level,
            side=rx.side,
            targets=list(ex.targets),
            tags=list(ex.tags),
            sided=ex.sided,
            dose_step=rx.dose,
            dosage=dosage,
            because=rx.because,
        )

    def _with_targets(self, item: PlanExercise, a: Assessment) -> PlanExercise:
        """Add the numbers the exercise text promises (the metronome beat)."""
        pct = self.lib.exercises[item.id].cadence_increase_pct
        target = cadence_target(a.findings.cadence_spm if a.findings else None, pct)
        if target is None:
            return item
        return item.model_copy(update={"cadence_target": CadenceTarget(**target)})

    def running(self, a: Assessment, out: _Collected) -> RunningSection | None:
        """The running section: the most conservative fired status, with its numbers from thresholds."""
        if not out.running:
            return None
        ranked = sorted(out.running, key=lambda r: (RUN_ORDER.index(r[0]), r[1], r[2]))
        status, _, rule, summary = ranked[0]
        advice: list[TextItem] = []
        for st, _, rid, text in ranked[1:]:
            if st == status and text != summary and all(t.text != text for t in advice):
                advice.append(TextItem(text=text, rule=rid))
        rs = self.t.running
        km = a.client.weekly_km
        target: float | None = None
        pct: int | None = None
        if status in ("reduce", "continue"):
            painful = max((p.nrs_activity for p in a.pains), default=0) >= rs.reduce_from_nrs
            usual = 100.0 if km is None else km  # no distance recorded: work in % of the usual one
            target = usual * rs.reduce_to_pct / 100 if status == "reduce" and painful else usual
            change = a.client.weekly_km_change_pct
            if change is not None and change >= rs.load_spike_pct:
                target = min(target, usual / (1 + change / 100))
            target = round(target)
            if km is None:
                pct = round(target) if status == "reduce" and target < 100 else None
                target = None
        early = status in ("stop", "walk_run")
        return RunningSection(
            status=status,
            summary=summary,
            rule=rule,
            pain_limit_nrs=rs.pain_limit_nrs,
            weekly_km=km,
            target_weekly_km=target,
            target_pct=pct,
            max_increase_2wk_pct=None if early else rs.max_increase_2wk_pct,
            entry_criteria=list(rs.entry_criteria) if early else [],
            walk_run=[WalkRunStep(stage=i + 1, **w.model_dump()) for i, w in enumerate(rs.walk_run)] if early else [],
            advice=advice,
        )

    def _live_cues(self, out: _Collected) -> list[TextItem]:
        """Cues of rules whose every prescription was excluded go with them (a cue for a drill
        the client will not do would confuse)."""
        prescribing = {rx.rule for rx in out.prescriptions}
        lost = prescribing - out.placed_rules
        return [c for c in out.texts["cue"] if c.rule not in lost]

    def build(self, a: Assessment, facts: FactSet, firings: list[Firing], exercises_sha256: str) -> Plan:
        """Return the plan for one assessment."""
        out = self.collect(firings, facts)
        unhandled = [f for f in a.flags if f not in out.referred_flags]
        if unhandled:  # a red flag must never end as "no findings": the rule set is incomplete
            raise LinkError.at(
                "rules",
                f"red flag {', '.join(unhandled)} is recorded but no rule referred the client for it; "
                "every red flag needs a referral rule (see rules/assessment/red-flags.yaml)",
                code="link.red_flag_unhandled",
            )
        urgent = any(r.urgency in STOPS_EXERCISE for r in out.referrals)
        exercises, excluded, dropped = self.exercises(out)
        exercises = [self._with_targets(e, a) for e in exercises]
        if urgent:
            dropped = [
                Excluded(
                    exercise=e.id,
                    rule=next(r.rule for r in out.referrals if r.urgency in STOPS_EXERCISE),
                    reason="urgent referral: no exercises until the client has been seen",
                )
                for e in exercises
            ]
            exercises = []
        status = (
            "refer_urgent"
            if urgent
            else "refer_and_exercise"
            if out.referrals
            else "exercise"
            if exercises
            else "no_findings"
        )
        if status == "no_findings" and a.pains:  # recorded pain is never "nothing to do"
            status = "exercise"
        refs = sorted(_dedupe_referrals(out.referrals), key=lambda r: (URGENCY_ORDER.index(r.urgency), r.rule))
        clinician = ClinicianRef(**a.clinician.model_dump()) if a.clinician else None
        return Plan(
            client=ClientRef(name=a.client.name, id=a.client.id),
            assessed_on=a.assessed_on.isoformat(),
            generated_with=GeneratedWith(
                engine=__version__, rules_sha256=self.rules_sha256, exercises_sha256=exercises_sha256
            ),
            status=status,
            referrals=refs,
            precautions=out.texts["precaution"],
            exercises=exercises,
            excluded=excluded,
            cues=self._live_cues(out),
            education=out.texts["educate"],
            review_in_days=min(out.reviews, default=self.t.plan.review_in_days),
            trace=out.trace,
            clinician=clinician,
            findings=[FindingItem(**f) for f in facts.findings],
            not_included=dropped,
            conditions=conditions_of(a),
            running=self.running(a, out),
            red_flags=a.flags,
            pain_sites=[PainSite(region=p.region, side=p.side, diagnosis=p.diagnosis) for p in a.pains],
        )


def _extra_volume_note(rx: _Rx) -> str | None:
    """Both sides prescribed and the worse side (a fact with volume 'extra') at a higher dose step:
    say so in the dose note, so both sides are trained and the worse one gets more."""
    if rx.side != "both" or len(rx.extra) != 1:
        return None
    worse = next(iter(rx.extra))
    other = "left" if worse == "right" else "right"
    if rx.side_dose.get(worse, 0) <= rx.side_dose.get(other, 0):
        return None
    d = rx.exercise.doses[min(rx.side_dose[worse], len(rx.exercise.doses)) - 1]
    what = f"{d.reps} reps" if d.reps else f"{d.hold_s} seconds" if d.hold_s else f"{d.minutes} minutes"
    return f"{worse.capitalize()} leg (the weaker side): {d.sets} sets of {what}"


def conditions_of(a: Assessment) -> list[str]:
    """Diagnoses (and 'radicular') recorded in the assessment, for progression overrides."""
    found: set[str] = {p.diagnosis for p in a.pains if p.diagnosis}
    if any(p.radicular for p in a.pains):
        found.add("radicular")
    if "suspected_bone_stress_injury" in a.flags or any(p.bone_site for p in a.pains):
        found.add("bone_stress_injury")
    return sorted(found)


def _dedupe_referrals(refs: list[Referral]) -> list[Referral]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in refs:
        if (r.urgency, r.reason) not in seen:
            seen.add((r.urgency, r.reason))
            out.append(r)
    return out
