"""The assessment a clinician records (YAML, version 1), validated strictly."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from engine.models.base import Date, Range, StrictModel, Text, not_in_future
from engine.models.source import Source, ToComplete  # i16: imported assessments

Side = Literal["left", "right"]
PainSide = Literal["left", "right", "both", "central"]
Grade = Literal["none", "mild", "moderate", "marked"]
Quality = Literal["good", "fair", "poor"]
Sex = Literal["female", "male", "other", "unspecified"]
Region = Literal[
    "lumbar",
    "buttock",
    "lateral_hip",
    "groin",
    "hamstring",
    "lateral_knee",
    "anterior_knee",
    "medial_knee",
    "shin",
    "calf",
    "achilles",
    "foot",
    "other",
]
Diagnosis = Literal[
    "itbs",
    "pfp",
    "gluteal_tendinopathy",
    "lumbar_disc_herniation",
    "piriformis_syndrome",
    "bone_stress_injury",
    "achilles_tendinopathy",
    "mtss",
    "hamstring_tendinopathy",
    "other",
]
RedFlag = Literal[
    "saddle_anaesthesia",
    "bladder_bowel_change",
    "progressive_neuro_deficit",
    "bilateral_leg_neuro_symptoms",
    "unexplained_weight_loss",
    "cancer_history",
    "fever_or_unwell",
    "night_pain_unrelenting",
    "significant_trauma",
    "suspected_bone_stress_injury",
]

REGIONS: tuple[str, ...] = get_args(Region)
DIAGNOSES: tuple[str, ...] = get_args(Diagnosis)
RED_FLAGS: tuple[str, ...] = get_args(RedFlag)


class Client(StrictModel):
    """Who was assessed."""

    name: Text
    """Full name, any Unicode (printed on the handout)."""
    id: Text | None = None
    """Clinic's client id."""
    age: Annotated[int, Range(10, 100)] | None = None
    """Age in years, 10..100."""
    sex: Sex | None = None
    """female | male | other | unspecified."""
    weekly_km: Annotated[float, Range(0, 1000)] | None = None
    """Current weekly running distance in km."""
    goal: Text | None = None
    """The runner's goal in their words."""


class Clinician(StrictModel):
    """Who assessed, and where."""

    name: Text | None = None
    """Clinician's name."""
    clinic: Text | None = None
    """Clinic name."""


Deg30 = Annotated[float, Range(0, 30)]


class StanceAngles(StrictModel):
    """An angle per stance leg at midstance, in degrees or as a grade (one per side)."""

    left_stance_deg: Deg30 | None = None
    """Degrees while standing on the LEFT leg, 0..30."""
    right_stance_deg: Deg30 | None = None
    """Degrees while standing on the RIGHT leg, 0..30."""
    left_stance_grade: Grade | None = None
    """Instead of degrees: none | mild | moderate | marked."""
    right_stance_grade: Grade | None = None
    """Instead of degrees: none | mild | moderate | marked."""

    @model_validator(mode="after")
    def _one_measure_per_side(self) -> StanceAngles:
        for side in ("left", "right"):
            if getattr(self, f"{side}_stance_deg") is not None and getattr(self, f"{side}_stance_grade") is not None:
                raise PydanticCustomError(
                    "both_deg_and_grade",
                    "give {side}_stance_deg or {side}_stance_grade, not both",
                    {"side": side},
                )
        return self


class StepWidth(StrictModel):
    """Step width at contact, posterior view."""

    cm: Annotated[float, Range(-15, 40)] | None = None
    """Heel-centre to heel-centre in cm, -15..40; below 0 the feet cross the midline."""
    crossover: bool | None = None
    """True when a foot lands across the midline."""


class SingleLegSquat(StrictModel):
    """Single-leg squat quality per side (Crossley 2011 criteria)."""

    left: Quality | None = None
    """good | fair | poor."""
    right: Quality | None = None
    """good | fair | poor."""


class Findings(StrictModel):
    """What was measured; absent means not assessed (not the same as normal)."""

    pelvic_drop: StanceAngles | None = None
    """Contralateral pelvic drop at midstance."""
    trunk_lean: StanceAngles | None = None
    """Lateral trunk lean toward the stance side at midstance."""
    step_width: StepWidth | None = None
    """Step width / crossover."""
    cadence_spm: Annotated[float, Range(120, 230)] | None = None
    """Steps per minute, 120..230."""
    forward_trunk_lean_deg: Annotated[float, Range(0, 45)] | None = None
    """Sagittal trunk lean in degrees, 0..45."""
    single_leg_squat: SingleLegSquat | None = None
    """Single-leg squat movement quality."""


class Pain(StrictModel):
    """One painful area."""

    region: Region
    """Where it hurts."""
    side: PainSide
    """left | right | both | central."""
    nrs_rest: Annotated[int, Range(0, 10)]
    """Pain at rest, 0..10."""
    nrs_activity: Annotated[int, Range(0, 10)]
    """Worst pain during running, 0..10."""
    weeks: Annotated[float, Range(0, 2000)]
    """How long, in weeks."""
    diagnosis: Diagnosis | None = None
    """Working diagnosis, if any."""
    radicular: bool = False
    """Leg symptoms from the spine (below-knee pain, pins and needles, numbness)."""


class Assessment(StrictModel):
    """A runner's assessment (YAML, version 1)."""

    version: Literal[1]
    """Format version; must be 1."""
    client: Client
    """The client."""
    assessed_on: Date
    """Date of the assessment (ISO, e.g. 2026-11-20); not in the future."""
    clinician: Clinician | None = None
    """Clinician and clinic."""
    findings: Findings = Field(default_factory=Findings)
    """Gait and movement findings."""
    pain: list[Pain] | None = None
    """Pain history; may be empty."""
    red_flags: list[RedFlag] | None = None
    """Red flags present; any entry leads to referral."""
    notes: str | None = None
    """Free text."""
    # i16 (gait import): optional, absent in hand-entered files.
    source: Source | None = None
    """The gait-tool file the findings were imported from (written by `rehab import`)."""
    to_complete: list[ToComplete] | None = None
    """What the import could not know: delete each word once asked; `rehab plan` refuses until empty."""

    _not_in_future = field_validator("assessed_on")(not_in_future)

    @property
    def pains(self) -> list[Pain]:
        """Pain entries (empty list when none recorded)."""
        return list(self.pain or [])

    @property
    def flags(self) -> list[str]:
        """Red flags, de-duplicated, in the order given."""
        return list(dict.fromkeys(self.red_flags or []))
