"""Exercise library entries (exercises/<id>.yaml) and ladders (exercises/ladders.yaml)."""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from engine.models.base import Range, Slug, StrictModel, Text
from engine.models.rule import Dosage

Target = Literal[
    "pelvic_control",
    "trunk_control",
    "step_width",
    "cadence",
    "hip_strength",
    "knee_control",
    "foot_ankle",
    "lumbopelvic_control",
    "plyometric",
    "running_integration",
    "mobility",
    "neural_mobility",
]
Tag = Literal[
    "weight_bearing",
    "single_leg",
    "single_leg_stance",
    "non_weight_bearing",
    "impact",
    "loaded_spinal_flexion",
    "hip_adduction_end_range",
    "equipment_band",
    "equipment_step",
    "gait_drill",
]
Equipment = Literal[
    "none",
    "band",
    "step",
    "mirror",
    "metronome",
    "wall",
    "mat",
    "weight",
    "chair",
    "treadmill",
]
TARGETS: tuple[str, ...] = get_args(Target)
TAGS: tuple[str, ...] = get_args(Tag)
JOINTS = (
    "head",
    "neck",
    "l_shoulder",
    "r_shoulder",
    "l_elbow",
    "r_elbow",
    "l_hand",
    "r_hand",
    "l_hip",
    "r_hip",
    "l_knee",
    "r_knee",
    "l_ankle",
    "r_ankle",
    "l_toe",
    "r_toe",
)

Coord = Annotated[float, Field(ge=-5, le=105)]
Point = Annotated[list[Coord], Field(min_length=2, max_length=2)]
Step = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class Prop(StrictModel):
    """Something drawn with the figure: floor, wall, band, step, line, arrow, mat, weight, chair, box, ball."""

    type: Literal["floor", "wall", "band", "step", "line", "arrow", "mat", "weight", "chair", "box", "ball"]
    """What to draw."""
    x: Annotated[float, Range(-5, 105)] | None = None
    """x (wall, step)."""
    y: Annotated[float, Range(-5, 105)] | None = None
    """y (floor, mat, step)."""
    w: Annotated[float, Range(0, 110)] | None = None
    """Width (step)."""
    h: Annotated[float, Range(0, 110)] | None = None
    """Height (step)."""
    from_: Point | None = Field(default=None, alias="from")
    """Start point (band, line, arrow)."""
    to: Point | None = None
    """End point (band, line, arrow)."""
    at: Point | None = None
    """Position (weight, ball)."""
    dashed: bool | None = None
    """Dashed line."""


class Pose(StrictModel):
    """A stick-figure pose: every joint as [x, y] in a 0–100 box, y downward."""

    joints: dict[str, Point]
    """All 16 joints: head, neck, shoulders, elbows, hands, hips, knees, ankles, toes (l_/r_)."""
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = None
    """Optional short word printed at the top of the pose ("Hold", "Lift"); two poses are always
    numbered 1 and 2, a single pose never is."""
    props: list[Prop] = Field(default_factory=list)
    """Props that move with this pose (a band round the knees, a weight in the hands); drawn only
    with it, after the picture's own props."""

    @model_validator(mode="after")
    def _all_joints(self) -> Pose:
        missing = [j for j in JOINTS if j not in self.joints]
        extra = [j for j in self.joints if j not in JOINTS]
        if missing or extra:
            raise PydanticCustomError(
                "joints",
                "joints missing: {missing}; unknown: {extra}",
                {"missing": ", ".join(missing) or "none", "extra": ", ".join(extra) or "none"},
            )
        return self


SAFE_FILE = re.compile(r"^(?!/)(?![A-Za-z]:)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_./-]+\.(?:svg|png|jpg|jpeg)$")


class Picture(StrictModel):
    """The exercise picture drawn on the handout: a stick figure (poses + props), or a clinic's
    own SVG/PNG/JPEG file inside the exercises folder (then licence and author are required)."""

    view: Literal["front", "side", "back"]
    """Camera view."""
    alt: Text
    """Alternative text for screen readers."""
    poses: list[Pose] = Field(min_length=1, max_length=2)
    """One or two poses (start, end); two poses are printed numbered 1 and 2."""
    props: list[Prop] = Field(default_factory=list)
    """Props drawn behind the figure."""
    working: Literal["left", "right"] = "right"
    """Which of the person's sides the drawing shows working; the handout mirrors it for the other side."""
    facing: Literal["left", "right", "viewer", "away"] | None = None
    """Where the face points (default: side view → the way the toes point; front → viewer; back → away)."""
    file: Annotated[str, StringConstraints(max_length=200)] | None = None
    """Optional clinic picture, relative to the exercises folder (no URL, no ``..``); drawn instead of the poses."""
    licence: Text | None = None
    """Licence of ``file`` (required with it), printed in the credits line."""
    author: Text | None = None
    """Author of ``file`` (required with it), printed in the credits line."""

    @model_validator(mode="after")
    def _file_rules(self) -> Picture:
        if self.file is None:
            return self
        if not SAFE_FILE.match(self.file) or "://" in self.file:
            raise PydanticCustomError(
                "picture_file",
                "picture file {f!r} must be a relative path inside the exercises folder ending in "
                ".svg, .png, .jpg or .jpeg (no URL, no '..', no absolute path)",
                {"f": self.file},
            )
        if not self.licence or not self.author:
            raise PydanticCustomError("picture_credit", "a picture file needs both licence and author", {})
        return self


SIDE_PLACEHOLDERS = (
    "your_leg",
    "your_other_leg",
    "your_side",
    "your_other_side",
    "your_hand",
    "your_other_hand",
)
"""Side words an exercise text may use; the handout fills them for the prescribed side (NOTES.md)."""
NUMBER_PLACEHOLDERS = ("cadence_target",)
"""Numbers the plan computes (e.g. the metronome beat)."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SWAP = re.compile(r"\b(swap|switch|change)\s+(legs?|sides?|hands?|over)\b|\bswap\b", re.IGNORECASE)
_VAGUE_SIDE = re.compile(r"\bnamed in your plan\b", re.IGNORECASE)
_BOTH_SIDES = re.compile(r"\b(?:the|your) other side\b|\beach side\b|\bboth sides\b", re.IGNORECASE)


def text_problems(words: str, sided: bool) -> list[str]:
    """Why an exercise sentence is not side-true (empty list = fine)."""
    problems = []
    if _SWAP.search(words):
        problems.append("must not say 'swap …': for both sides the handout adds its own last step")
    if _VAGUE_SIDE.search(words):
        problems.append("must not say '… named in your plan': name the side with {your_leg}, {your_side} …")
    if sided and (hit := _BOTH_SIDES.search(words)):
        problems.append(
            f"a sided exercise must not say {hit.group(0)!r}: it is false for a one-side plan "
            "(for both sides the handout adds its own last step and 'each side')"
        )
    for name in _PLACEHOLDER.findall(words):
        key = name[:1].lower() + name[1:]
        if key in NUMBER_PLACEHOLDERS:
            continue
        if key not in SIDE_PLACEHOLDERS:
            known = ", ".join("{" + k + "}" for k in SIDE_PLACEHOLDERS + NUMBER_PLACEHOLDERS)
            problems.append(f"unknown placeholder {{{name}}} (known: {known})")
        elif not sided:
            problems.append(f"{{{name}}} is a side word but the exercise is not sided")
    return problems


class Exercise(StrictModel):
    """One exercise of the library."""

    id: Slug
    """Id, equal to the file name without .yaml."""
    name: Text
    """Name shown to the client."""
    ladder: Slug
    """Ladder id (exercises/ladders.yaml)."""
    level: Annotated[int, Range(1, 50)]
    """Position on the ladder, 1 = easiest."""
    targets: list[Target] = Field(min_length=1)
    """What it trains."""
    tags: list[Tag] = Field(default_factory=list)
    """Properties used by exclusions (impact, hip_adduction_end_range, …)."""
    sided: bool
    """True when done one side at a time."""
    purpose: Text
    """One plain sentence for the client."""
    steps: list[Step] = Field(min_length=2, max_length=8)
    """Plain-language steps."""
    cues: list[Step] = Field(min_length=2, max_length=4)
    """2–4 short cues."""
    equipment: list[Equipment] = Field(default_factory=list)
    """What the client needs."""
    doses: list[Dosage] = Field(min_length=1, max_length=6)
    """Dose steps, easiest first."""
    precautions: list[Step] = Field(default_factory=list)
    """Precautions in plain words."""
    evidence: list[Slug] = Field(min_length=1)
    """Reference ids."""
    picture: Picture
    """The picture."""
    lies_on: Literal["working", "other"] | None = None
    """For side-lying exercises: which side is on the floor (the working side or the other one)."""
    cadence_increase_pct: Annotated[int, Range(1, 20)] | None = None
    """For metronome drills: the step-rate increase the drill asks for (the plan computes the beat)."""

    @model_validator(mode="after")
    def _side_true(self) -> Exercise:
        texts = [("purpose", self.purpose)]
        texts += [(f"steps[{i}]", s) for i, s in enumerate(self.steps)]
        texts += [(f"cues[{i}]", s) for i, s in enumerate(self.cues)]
        texts += [(f"precautions[{i}]", s) for i, s in enumerate(self.precautions)]
        texts += [(f"doses[{i}].note", d.note) for i, d in enumerate(self.doses) if d.note]
        for where, words in texts:
            for problem in text_problems(words, self.sided):
                raise PydanticCustomError("side_true", "{where}: {problem}", {"where": where, "problem": problem})
        return self


class Ladder(StrictModel):
    """A progression ladder, easiest → hardest."""

    id: Slug
    """Ladder id."""
    name: Text
    """Name for clinicians."""
    description: Text | None = None
    """What it progresses and why."""
    target: Target | None = None
    """The one kind of exercise this ladder holds: every exercise on it must train this target."""


class LadderFile(StrictModel):
    """exercises/ladders.yaml."""

    version: Literal[1] = 1
    """Format version."""
    ladders: list[Ladder] = Field(min_length=1)
    """The ladders."""


class Reference(StrictModel):
    """A source cited by a rule, exercise or threshold."""

    id: Slug
    """Id such as bramah-2018."""
    citation: Text
    """Full citation."""
    doi: str | None = None
    """DOI, if known."""
    grade: Literal["A", "B", "C", "D", "E"] | None = None
    """Evidence grade: A systematic review or RCTs, B cohort or lab studies, C a single small study, E expert opinion."""
    note: str | None = None
    """Note."""
    url: str | None = None
    """Link."""


class ReferenceFile(StrictModel):
    """rules/references.yaml."""

    version: Literal[1] = 1
    """Format version."""
    references: list[Reference] = Field(min_length=1)
    """The references."""
