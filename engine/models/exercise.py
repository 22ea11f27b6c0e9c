"""Exercise library entries (exercises/<id>.yaml) and ladders (exercises/ladders.yaml)."""

from __future__ import annotations

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
]
Tag = Literal[
    "weight_bearing",
    "single_leg",
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


class Pose(StrictModel):
    """A stick-figure pose: every joint as [x, y] in a 0–100 box, y downward."""

    joints: dict[str, Point]
    """All 16 joints: head, neck, shoulders, elbows, hands, hips, knees, ankles, toes (l_/r_)."""

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


class Prop(StrictModel):
    """Something drawn with the figure: floor, wall, band, step, line, arrow, mat, weight."""

    type: Literal["floor", "wall", "band", "step", "line", "arrow", "mat", "weight"]
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
    """Position (weight)."""
    dashed: bool | None = None
    """Dashed line."""


class Picture(StrictModel):
    """The exercise picture drawn on the handout."""

    view: Literal["front", "side", "back"]
    """Camera view."""
    alt: Text
    """Alternative text for screen readers."""
    poses: list[Pose] = Field(min_length=1, max_length=2)
    """One or two poses (start, end)."""
    props: list[Prop] = Field(default_factory=list)
    """Props drawn behind the figure."""


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


class Ladder(StrictModel):
    """A progression ladder, easiest → hardest."""

    id: Slug
    """Ladder id."""
    name: Text
    """Name for clinicians."""
    description: Text | None = None
    """What it progresses and why."""


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
