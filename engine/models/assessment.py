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
    "plantar_heel_pain",
    "calf_strain",
    "patellar_tendinopathy",
    "adductor_groin_pain",
    "non_specific_low_back_pain",
    "medial_knee_pain",
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
    "red_s_signs",
]
BoneSite = Literal[
    "femoral_neck",
    "anterior_tibia",
    "medial_malleolus",
    "talus",
    "navicular",
    "fifth_metatarsal_base",
    "second_metatarsal_base",
    "sesamoid",
    "posteromedial_tibia",
    "fibula",
    "femoral_shaft",
    "pelvis",
    "calcaneus",
    "metatarsal_shaft",
    "other",
]
Irritability = Literal["low", "moderate", "high"]

REGIONS: tuple[str, ...] = get_args(Region)
DIAGNOSES: tuple[str, ...] = get_args(Diagnosis)
RED_FLAGS: tuple[str, ...] = get_args(RedFlag)
BONE_SITES: tuple[str, ...] = get_args(BoneSite)


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
    weekly_km_change_pct: Annotated[float, Range(-100, 1000)] | None = None
    """Change in weekly running distance over the last 2-4 weeks, in % (e.g. 40 = 40 % more)."""
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
    settles_hours: Annotated[float, Range(0, 720)] | None = None
    """How long symptoms take to settle after running or the aggravating activity, in hours."""
    night_pain: bool | None = None
    """Pain wakes the client at night (from this problem)."""
    irritability: Irritability | None = None
    """Clinician's own irritability grade (low | moderate | high); overrides the derived grade."""
    bone_site: BoneSite | None = None
    """Site of a suspected or confirmed bone stress injury (high-risk: femoral_neck, anterior_tibia,
    medial_malleolus, talus, navicular, fifth_metatarsal_base, second_metatarsal_base, sesamoid)."""


MAX_PAINS = 20
"""Pain entries one assessment may hold (a runner has a few painful areas, not thousands)."""


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
    pain: Annotated[list[Pain], Field(max_length=MAX_PAINS)] | None = None
    """Pain history; may be empty (at most 20 sites: one entry per painful area)."""
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
