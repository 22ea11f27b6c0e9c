"""Prepare the facts the rules match: one per finding side, pain entry and red flag.

Everything a rule might need to say "absent" is prepared here as a plain attribute
(``has_red_flags: false``), because negation inside durable_rules is order-dependent
(durable_rules negation is order-dependent). Grades come from rules/thresholds.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from engine.models.assessment import BONE_SITES, DIAGNOSES, RED_FLAGS, REGIONS, Assessment, Pain, StanceAngles
from engine.models.thresholds import AngleBands, Thresholds

GRADES = ("none", "mild", "moderate", "marked")
FieldType = Literal["str", "num", "bool"]


@dataclass(frozen=True)
class FieldSpec:
    """Type (and closed vocabulary, if any) of a fact field, for `rules check`."""

    type: FieldType
    values: tuple[str, ...] = ()


_SIDES = ("left", "right")
_PAIN_SIDES = ("left", "right", "both", "central")
_STANCE = {
    "side": FieldSpec("str", _SIDES),
    "deg": FieldSpec("num"),
    "grade": FieldSpec("str", GRADES),
    "elevated": FieldSpec("bool"),
    "flagged": FieldSpec("bool"),
    "pattern": FieldSpec("str", ("bilateral", "unilateral", "none")),
    "bilateral": FieldSpec("bool"),
    "asymmetry_deg": FieldSpec("num"),
    "other_side_grade": FieldSpec("str", GRADES),
    "worse": FieldSpec("bool"),
    "volume": FieldSpec("str", ("extra", "standard")),
}
HIGH_RISK_BONE_SITES = (
    "femoral_neck",
    "anterior_tibia",
    "medial_malleolus",
    "talus",
    "navicular",
    "fifth_metatarsal_base",
    "second_metatarsal_base",
    "sesamoid",
)
"""Bone stress sites with a high risk of non-union or displacement (Warden 2014)."""

CATALOGUE: dict[str, dict[str, FieldSpec]] = {
    "assessment": {
        "has_red_flags": FieldSpec("bool"),
        "red_flag_count": FieldSpec("num"),
        "has_pain": FieldSpec("bool"),
        "irritability": FieldSpec("str", ("none", "low", "moderate", "high")),
        "radicular": FieldSpec("bool"),
        "max_nrs_activity": FieldSpec("num"),
        "max_nrs_rest": FieldSpec("num"),
        "age": FieldSpec("num"),
        "sex": FieldSpec("str", ("female", "male", "other", "unspecified")),
        "weekly_km": FieldSpec("num"),
        "weekly_km_change_pct": FieldSpec("num"),
        "load_spike": FieldSpec("bool"),
        "night_pain": FieldSpec("bool"),
        "bone_high_risk": FieldSpec("bool"),
        "any_finding_flagged": FieldSpec("bool"),
        **{f"dx_{d}": FieldSpec("bool") for d in DIAGNOSES},
    },
    "pelvic_drop": dict(_STANCE),
    "trunk_lean": {**_STANCE, "compensated": FieldSpec("bool")},
    "step_width": {
        "cm": FieldSpec("num"),
        "crossover": FieldSpec("bool"),
        "narrow": FieldSpec("bool"),
        "category": FieldSpec("str", ("crossover", "narrow", "typical")),
    },
    "cadence": {"spm": FieldSpec("num"), "low": FieldSpec("bool")},
    "forward_trunk_lean": {"deg": FieldSpec("num"), "elevated": FieldSpec("bool")},
    "single_leg_squat": {
        "side": FieldSpec("str", _SIDES),
        "quality": FieldSpec("str", ("good", "fair", "poor")),
    },
    "pain": {
        "region": FieldSpec("str", REGIONS),
        "side": FieldSpec("str", _PAIN_SIDES),
        "nrs_rest": FieldSpec("num"),
        "nrs_activity": FieldSpec("num"),
        "weeks": FieldSpec("num"),
        "diagnosis": FieldSpec("str", (*DIAGNOSES, "none")),
        "radicular": FieldSpec("bool"),
        "irritability": FieldSpec("str", ("low", "moderate", "high")),
        "chronicity": FieldSpec("str", ("acute", "subacute", "persistent")),
        "irritability_source": FieldSpec("str", ("derived", "clinician")),
        "settles_hours": FieldSpec("num"),
        "night_pain": FieldSpec("bool"),
        "bone_site": FieldSpec("str", BONE_SITES),
        "bone_high_risk": FieldSpec("bool"),
    },
    "red_flag": {"flag": FieldSpec("str", RED_FLAGS)},
}
"""Every assessment fact kind and its fields; rules may only use these (or derived facts)."""


@dataclass
class FactSet:
    """Facts for one evaluation plus, per fact id, the findings (path → value) behind it."""

    facts: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, fid: str, attrs: dict[str, Any], sources: dict[str, Any]) -> None:
        """Add a fact; ``None`` attributes are left out (absent, never matched)."""
        fact = {"kind": kind, "fid": fid}
        fact.update({k: v for k, v in attrs.items() if v is not None})
        self.facts.append(fact)
        self.sources[fid] = sources


def grade_of(deg: float, bands: AngleBands) -> str:
    """Return none | mild | moderate | marked for an angle."""
    if deg >= bands.marked:
        return "marked"
    if deg >= bands.moderate:
        return "moderate"
    if deg >= bands.mild:
        return "mild"
    return "none"


def _band_text(bands: AngleBands) -> str:
    return f"moderate ≥ {bands.moderate:g}°, marked ≥ {bands.marked:g}°"


def _stance_facts(out: FactSet, kind: str, angles: StanceAngles, bands: AngleBands) -> None:
    flag_at = GRADES.index(bands.flag_from)
    sides: dict[str, tuple[float | None, str, str]] = {}
    for side in _SIDES:
        deg = getattr(angles, f"{side}_stance_deg")
        grade = getattr(angles, f"{side}_stance_grade")
        if deg is not None:
            sides[side] = (deg, grade_of(deg, bands), f"{kind}.{side}_stance_deg")
        elif grade is not None:
            sides[side] = (None, grade, f"{kind}.{side}_stance_grade")
    elevated = {s: GRADES.index(g) >= flag_at for s, (_, g, _) in sides.items()}
    asym = None
    if len(sides) == 2 and sides["left"][0] is not None and sides["right"][0] is not None:
        asym = round(abs(float(sides["left"][0]) - float(sides["right"][0])), 2)
    flagged = _flagged_sides(sides, elevated, asym, bands.asymmetry_deg)
    pattern = "bilateral" if len(flagged) == 2 else "unilateral" if flagged else "none"
    worse = _worse_side(sides, flagged, asym, bands.asymmetry_deg)
    for side, (deg, grade, path) in sides.items():
        other = sides.get("right" if side == "left" else "left")
        out.add(
            kind,
            f"{kind}.{side}",
            {
                "side": side,
                "deg": deg,
                "grade": grade,
                "elevated": elevated[side],
                "flagged": side in flagged,
                "pattern": pattern,
                "bilateral": pattern == "bilateral",
                "asymmetry_deg": asym,
                "other_side_grade": other[1] if other else None,
                "worse": side == worse,
                "volume": "extra" if side == worse else "standard",
            },
            {path: deg if deg is not None else grade},
        )
        out.findings.append(
            {
                "finding": kind,
                "side": side,
                "path": f"findings.{path}",
                "value": deg if deg is not None else grade,
                "unit": "deg" if deg is not None else None,
                "grade": grade,
                "flagged": side in flagged,
                "threshold": _band_text(bands)
                + (f"; worse side (|L−R| ≥ {bands.asymmetry_deg:g}°): extra volume" if side == worse else ""),
            }
        )


def _flagged_sides(sides: dict[str, Any], elevated: dict[str, bool], asym: float | None, asym_limit: float) -> set[str]:
    """Every elevated side is flagged (both are trained when both are elevated, the asymmetry rule)."""
    return {s for s, e in elevated.items() if e}


def _worse_side(sides: dict[str, Any], flagged: set[str], asym: float | None, asym_limit: float) -> str | None:
    """The side that gets the extra volume: both flagged and |L−R| at or above the asymmetry limit
    (with grades only: two grades apart)."""
    if len(flagged) != 2:
        return None
    if asym is not None:
        return max(flagged, key=lambda s: float(sides[s][0])) if asym >= asym_limit else None
    left, right = GRADES.index(sides["left"][1]), GRADES.index(sides["right"][1])
    if abs(left - right) >= 2:
        return "left" if left > right else "right"
    return None


def irritability_of(p: Pain, t: Thresholds) -> tuple[str, str, str]:
    """Return (grade, source, how it was derived) for one pain entry.

    Rests on rest pain, night pain and settling time; running pain alone sets at most a
    'moderate' floor. A clinician's own grade on the entry wins.
    """
    b = t.irritability
    high: list[str] = []
    moderate: list[str] = []
    if p.nrs_rest >= b.high_rest_nrs:
        high.append(f"rest pain {p.nrs_rest}/10 ≥ {b.high_rest_nrs}")
    elif p.nrs_rest >= b.moderate_rest_nrs:
        moderate.append(f"rest pain {p.nrs_rest}/10 ≥ {b.moderate_rest_nrs}")
    if p.night_pain and b.night_pain_high:
        high.append("night pain")
    if p.settles_hours is not None:
        if p.settles_hours > b.high_settle_hours:
            high.append(f"settles in {p.settles_hours:g} h > {b.high_settle_hours:g} h")
        elif p.settles_hours > b.moderate_settle_hours:
            moderate.append(f"settles in {p.settles_hours:g} h > {b.moderate_settle_hours:g} h")
        if p.nrs_activity >= b.severe_activity_nrs:
            moderate.append(f"running pain {p.nrs_activity}/10 ≥ {b.severe_activity_nrs}")
    elif p.nrs_activity >= b.moderate_activity_nrs:
        moderate.append(f"running pain {p.nrs_activity}/10 ≥ {b.moderate_activity_nrs} (settling time not recorded)")
    derived = "high" if high else "moderate" if moderate else "low"
    why = "; ".join(high or moderate) or "no rest or night pain, settles quickly"
    if p.irritability is not None:
        return p.irritability, "clinician", f"{p.irritability}: clinician's grade (derived would be {derived}: {why})"
    return derived, "derived", f"{derived}: {why}"


def _chronicity(weeks: float, t: Thresholds) -> str:
    c = t.chronicity
    return (
        "acute" if weeks < c.subacute_from_weeks else "subacute" if weeks <= c.persistent_above_weeks else "persistent"
    )


def prepare(a: Assessment, t: Thresholds) -> FactSet:
    """Turn a validated assessment into facts for the rules engine."""
    out = FactSet()
    f = a.findings
    if f.pelvic_drop is not None:
        _stance_facts(out, "pelvic_drop", f.pelvic_drop, t.pelvic_drop)
    if f.trunk_lean is not None:
        _stance_facts(out, "trunk_lean", f.trunk_lean, t.trunk_lean)
        _mark_compensated(out)
    if f.step_width is not None:
        _step_width(out, f.step_width.cm, f.step_width.crossover, t)
    if f.cadence_spm is not None:
        low = f.cadence_spm < t.cadence.low_below_spm
        out.add("cadence", "cadence", {"spm": f.cadence_spm, "low": low}, {"cadence_spm": f.cadence_spm})
        out.findings.append(
            {
                "finding": "cadence",
                "side": None,
                "path": "findings.cadence_spm",
                "value": f.cadence_spm,
                "unit": "spm",
                "grade": "low" if low else "typical",
                "flagged": low,
                "threshold": f"low < {t.cadence.low_below_spm:g} spm",
            }
        )
    if f.forward_trunk_lean_deg is not None:
        deg = f.forward_trunk_lean_deg
        up = deg >= t.forward_trunk_lean.elevated_from_deg
        out.add(
            "forward_trunk_lean", "forward_trunk_lean", {"deg": deg, "elevated": up}, {"forward_trunk_lean_deg": deg}
        )
        out.findings.append(
            {
                "finding": "forward_trunk_lean",
                "side": None,
                "path": "findings.forward_trunk_lean_deg",
                "value": deg,
                "unit": "deg",
                "grade": "elevated" if up else "typical",
                "flagged": up,
                "threshold": f"elevated ≥ {t.forward_trunk_lean.elevated_from_deg:g}°",
            }
        )
    if f.single_leg_squat is not None:
        for side in _SIDES:
            q = getattr(f.single_leg_squat, side)
            if q is not None:
                out.add(
                    "single_leg_squat",
                    f"single_leg_squat.{side}",
                    {"side": side, "quality": q},
                    {f"single_leg_squat.{side}": q},
                )
                out.findings.append(
                    {
                        "finding": "single_leg_squat",
                        "side": side,
                        "path": f"findings.single_leg_squat.{side}",
                        "value": q,
                        "unit": None,
                        "grade": q,
                        "flagged": q != "good",
                        "threshold": "good | fair | poor (Crossley 2011)",
                    }
                )
    _pain_and_flags(out, a, t)
    return out


def _mark_compensated(out: FactSet) -> None:
    drops = {x["side"]: x for x in out.facts if x["kind"] == "pelvic_drop"}
    for fact in out.facts:
        if fact["kind"] == "trunk_lean":
            drop = drops.get(fact["side"])
            fact["compensated"] = bool(fact["elevated"] and drop is not None and not drop["elevated"])


def _step_width(out: FactSet, cm: float | None, crossover: bool | None, t: Thresholds) -> None:
    b = t.step_width
    cross = bool(crossover) or (cm is not None and cm <= b.crossover_max_cm)
    narrow = cross or (cm is not None and cm < b.narrow_below_cm)
    category = "crossover" if cross else "narrow" if narrow else "typical"
    src: dict[str, Any] = {}
    if cm is not None:
        src["step_width.cm"] = cm
    if crossover is not None:
        src["step_width.crossover"] = crossover
    out.add("step_width", "step_width", {"cm": cm, "crossover": cross, "narrow": narrow, "category": category}, src)
    out.findings.append(
        {
            "finding": "step_width",
            "side": None,
            "path": "findings.step_width",
            "value": cm,
            "unit": "cm" if cm is not None else None,
            "grade": category,
            "flagged": category != "typical",
            "threshold": f"crossover ≤ {b.crossover_max_cm:g} cm, narrow < {b.narrow_below_cm:g} cm",
        }
    )


def _pain_and_flags(out: FactSet, a: Assessment, t: Thresholds) -> None:
    irritabilities = []
    for i, p in enumerate(a.pains):
        irr, source, basis = irritability_of(p, t)
        irritabilities.append(irr)
        high_risk = p.bone_site in HIGH_RISK_BONE_SITES if p.bone_site else None
        out.add(
            "pain",
            f"pain[{i}]",
            {
                "region": p.region,
                "side": p.side,
                "nrs_rest": p.nrs_rest,
                "nrs_activity": p.nrs_activity,
                "weeks": p.weeks,
                "diagnosis": p.diagnosis or "none",
                "radicular": p.radicular,
                "irritability": irr,
                "irritability_source": source,
                "chronicity": _chronicity(p.weeks, t),
                "settles_hours": p.settles_hours,
                "night_pain": p.night_pain,
                "bone_site": p.bone_site,
                "bone_high_risk": high_risk,
            },
            {
                f"pain[{i}].region": p.region,
                f"pain[{i}].nrs_activity": p.nrs_activity,
                **({f"pain[{i}].diagnosis": p.diagnosis} if p.diagnosis else {}),
                **({f"pain[{i}].bone_site": p.bone_site} if p.bone_site else {}),
            },
        )
        out.findings.append(
            {
                "finding": "irritability",
                "side": p.side,
                "path": f"pain[{i}]",
                "value": irr,
                "unit": None,
                "grade": irr,
                "flagged": False,  # a grade of the pain, not a movement finding to describe to the client
                "threshold": f"{p.region}: {basis}",
            }
        )
    for flag in a.flags:
        out.add("red_flag", f"red_flags.{flag}", {"flag": flag}, {"red_flags": flag})
    order = ("none", "low", "moderate", "high")
    dx = {p.diagnosis for p in a.pains if p.diagnosis}
    if any(p.bone_site for p in a.pains):  # a recorded bone stress site is a (suspected) bone stress injury
        dx.add("bone_stress_injury")
    change = a.client.weekly_km_change_pct
    out.add(
        "assessment",
        "assessment",
        {
            "has_red_flags": bool(a.flags),
            "red_flag_count": len(a.flags),
            "has_pain": bool(a.pains),
            "irritability": max(irritabilities, key=order.index) if irritabilities else "none",
            "radicular": any(p.radicular for p in a.pains),
            "max_nrs_activity": max((p.nrs_activity for p in a.pains), default=0),
            "max_nrs_rest": max((p.nrs_rest for p in a.pains), default=0),
            "age": a.client.age,
            "sex": a.client.sex,
            "weekly_km": a.client.weekly_km,
            "weekly_km_change_pct": change,
            "load_spike": change is not None and change >= t.running.load_spike_pct,
            "night_pain": any(bool(p.night_pain) for p in a.pains),
            "bone_high_risk": any(p.bone_site in HIGH_RISK_BONE_SITES for p in a.pains if p.bone_site),
            "any_finding_flagged": any(x["flagged"] for x in out.findings),
            **{f"dx_{d}": d in dx for d in DIAGNOSES},
        },
        {},
    )
