"""Dev harness: render sample handouts and clinician reports for a person to look at.

    python tools/render_sample.py [OUT_DIR]        # default /tmp/render

Inputs are fabricated (tools/sample_plan.json, tools/sample_assessment.json, exercise records
made below). Renders 1 exercise, 8 exercises with long text, refer_urgent, refer_and_exercise
and no_findings at A4 and Letter, checks that each render is byte-identical when repeated, and
prints page counts. Turn pages into PNGs with ``pdftoppm -png -r 50 FILE.pdf PREFIX``.
"""

from __future__ import annotations

import copy
import io
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATE_DIR = ROOT / "templates"
LONG = (
    " Keep your knee in line with your second toe the whole time, and keep your hips level as if"
    " you were carrying a full glass of water on each side of your belt."
)


def _joints(lift: bool) -> dict[str, list[float]]:
    j = {
        "head": [50, 10], "neck": [50, 18], "l_shoulder": [42, 21], "r_shoulder": [58, 21],
        "l_elbow": [39, 35], "r_elbow": [61, 35], "l_hand": [38, 48], "r_hand": [62, 48],
        "l_hip": [45, 50], "r_hip": [55, 50], "l_knee": [45, 70], "r_knee": [55, 70],
        "l_ankle": [45, 90], "r_ankle": [55, 90], "l_toe": [43, 94], "r_toe": [57, 94],
    }  # fmt: skip
    if lift:
        j.update({"r_knee": [60, 64], "r_ankle": [58, 80], "r_toe": [61, 82]})
    return {k: [float(a) for a in v] for k, v in j.items()}


PICTURE = {
    "view": "front",
    "alt": "Standing on one leg, the other knee lifted, hips level.",
    "poses": [{"joints": _joints(False)}, {"joints": _joints(True)}],
    "props": [{"type": "floor", "y": 94}],
}


def make_exercise(item: dict[str, Any], long: bool) -> dict[str, Any]:
    """A fabricated exercise record for a plan item."""
    extra = LONG if long else ""
    return {
        "id": item["id"],
        "name": item["name"],
        "ladder": item["ladder"],
        "level": item["level"],
        "targets": item["targets"],
        "tags": item["tags"],
        "sided": item.get("sided", True),
        "purpose": "Makes the muscle at the side of your hip stronger, so your hips stay level."
        + extra,
        "steps": [
            "Stand side-on to a wall, close enough to touch it with your hip.",
            "Lift the knee nearest the wall so your thigh presses into the wall." + extra,
            "Push into the wall with that knee. Keep your hips level.",
            "Hold still and keep breathing.",
            "Relax slowly, then repeat.",
        ],
        "cues": [
            "Stand tall, like a string pulls your head up.",
            "Keep your weight over your whole foot." + extra,
        ],
        "equipment": [],
        "doses": [],
        "precautions": ["Stop if you feel pain on the outside of your knee above 5 out of 10."]
        + (["Do not hold your breath; count the seconds out loud." + extra] if long else []),
        "evidence": ["bramah-2018"],
        "picture": PICTURE,
    }


def variants(plan: dict[str, Any]) -> dict[str, tuple[dict[str, Any], bool]]:
    """Sample plans by name, with whether their exercise records get long text."""
    one = copy.deepcopy(plan)
    one["exercises"] = one["exercises"][:1]
    for item in one["exercises"]:
        item.pop("change", None)
    urgent = copy.deepcopy(plan)
    urgent.update(
        status="refer_urgent",
        exercises=[],
        referrals=[
            {
                "reason": "You told us about numbness between your legs and a change in passing"
                " urine. A doctor needs to check your back today.",
                "urgency": "urgent",
                "rule": "rf-cauda-equina",
            }
        ],
    )
    refer = copy.deepcopy(plan)
    refer.update(
        status="refer_and_exercise",
        exercises=refer["exercises"][:3],
        referrals=[
            {
                "reason": "Your doctor should check the pain in your lower back that spreads down"
                " your leg.",
                "urgency": "soon",
                "rule": "rf-radicular-review",
            }
        ],
    )
    none = copy.deepcopy(plan)
    none.update(status="no_findings", exercises=[], findings=[], precautions=[])
    return {
        "one": (one, False),
        "eight-long": (plan, True),
        "urgent": (urgent, False),
        "refer": (refer, False),
        "none": (none, False),
    }


def main(out: Path) -> int:
    """Render every sample at A4 and Letter; check determinism."""
    from engine.render import pdf as render

    out.mkdir(parents=True, exist_ok=True)
    template = render.load_template_dict(
        yaml.safe_load((TEMPLATE_DIR / "handout.yaml").read_text(encoding="utf-8"))
    )
    plan = json.loads((ROOT / "tools/sample_plan.json").read_text(encoding="utf-8"))
    assessment = json.loads((ROOT / "tools/sample_assessment.json").read_text(encoding="utf-8"))
    from pypdf import PdfReader

    for name, (sample, long) in variants(plan).items():
        exercises = {i["id"]: make_exercise(i, long) for i in plan["exercises"]}
        for paper in ("a4", "letter"):
            for kind, fn in (
                ("handout", render.render_handout),
                ("report", render.render_clinician_report),
            ):
                data = fn(sample, assessment, exercises, template, TEMPLATE_DIR, paper=paper)
                again = fn(sample, assessment, exercises, template, TEMPLATE_DIR, paper=paper)
                assert data == again, f"{name} {kind} {paper}: not deterministic"
                path = out / f"{name}-{kind}-{paper}.pdf"
                path.write_bytes(data)
                pages = len(PdfReader(io.BytesIO(data)).pages)
                print(f"{path}: {pages} page(s), {len(data)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/render")))  # noqa: S108
