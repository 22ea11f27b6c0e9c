"""Model of ``templates/handout.yaml``: page layout, fonts, colours and every fixed sentence.

The handout's wording is data so that a clinic can edit it without Python. The model is strict
(unknown keys are errors, so a misspelt key is never silently ignored) and frozen.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from engine.models.base import LayoutText, Model

SectionName = Literal[
    "header",
    "referral",
    "found",
    "exercises",
    "pain_guide",
    "running_cues",
    "education",
    "precautions",
    "tracking_log",
    "get_help",
    "review",
]
"""The parts of the handout a template can order."""

Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
"""A colour as ``#RRGGBB``."""

Text = LayoutText
"""A non-empty piece of wording, kept exactly as written."""
_Strict = Model


class Margins(_Strict):
    """Page margins in millimetres."""

    top: float = Field(ge=5, le=50)
    """Top margin (mm)."""
    right: float = Field(ge=5, le=50)
    """Right margin (mm)."""
    bottom: float = Field(ge=10, le=50)
    """Bottom margin (mm); the page footer sits inside it."""
    left: float = Field(ge=5, le=50)
    """Left margin (mm)."""


class Page(_Strict):
    """Paper and text sizes."""

    size: Literal["a4", "letter"] = "a4"
    """Default paper size; the command line may override it."""
    margins_mm: Margins
    """Page margins."""
    body_pt: float = Field(default=12, ge=9, le=16)
    """Handout body text size in points."""
    report_pt: float = Field(default=9, ge=7, le=12)
    """Clinician report body text size in points."""


class Fonts(_Strict):
    """TTF files for the four styles of one font family, relative to the template folder."""

    regular: Text
    """Regular style."""
    bold: Text
    """Bold style."""
    italic: Text
    """Italic (oblique) style."""
    bold_italic: Text
    """Bold italic style."""


class Colours(_Strict):
    """Colours as ``#RRGGBB``."""

    text: Colour
    """Body text."""
    accent: Colour
    """Headings and exercise title bars."""
    muted: Colour
    """Secondary text (footer, labels)."""
    green: Colour
    """Traffic light: green."""
    amber: Colour
    """Traffic light: amber; also the referral box border."""
    red: Colour
    """Traffic light: red; also the 'get help' box border."""
    box_fill: Colour
    """Background of the dose box and tables."""
    alert_fill: Colour
    """Background of the referral and 'get help' boxes."""


class Clinic(_Strict):
    """The clinic's own details, used when the plan does not name a clinic."""

    name: Text
    """Clinic name (also the PDF author)."""
    contact: str = ""
    """Phone number, e-mail or address shown in the header."""
    logo: str | None = None
    """Optional logo image (PNG/JPEG/SVG), relative to the template folder."""


class Dates(_Strict):
    """How dates are written."""

    format: Text = "{day} {month} {year}"
    """Date pattern with {day}, {month} (name) and {year}."""
    months: list[Text] = Field(min_length=12, max_length=12)
    """The twelve month names, January first."""


class Sides(_Strict):
    """Side words used inside sentences ("your {side} leg")."""

    left: Text
    """Word for left."""
    right: Text
    """Word for right."""


class HeaderWording(_Strict):
    """Top of the first page."""

    title: Text
    """Big title."""
    name_label: Text
    """Label before the client's name."""
    date_label: Text
    """Label before the assessment date."""
    clinician_label: Text
    """Label before the clinician's name."""
    clinic_label: Text
    """Label before the clinic name."""
    contact_label: Text
    """Label before the clinic contact."""
    review_label: Text
    """Label before the next check-up date."""


class Urgency(_Strict):
    """Plain words for a referral's urgency."""

    emergency: Text = "now, at the emergency department"
    """Emergency referral."""
    urgent: Text
    """Urgent referral."""
    soon: Text
    """Soon."""
    routine: Text
    """Routine."""


class ReferralWording(_Strict):
    """Referral box near the top of a refer-and-exercise handout."""

    heading: Text
    """Box heading."""
    intro: Text
    """Sentence before the list of reasons."""
    urgency: Urgency
    """Urgency words, shown after each reason."""


class UrgentWording(_Strict):
    """The single page given instead of exercises when the plan is an urgent referral."""

    heading: Text
    """Big heading."""
    intro: Text
    """What this page means."""
    why_heading: Text
    """Heading above the referral reasons."""
    what_heading: Text
    """Heading above the steps to take."""
    what_to_do: list[Text] = Field(min_length=1)
    """Steps to take, in order."""
    contact_heading: Text
    """Heading above the clinic contact."""
    meanwhile_heading: Text = "Until you are seen"
    """Heading above the plan's advice (e.g. cross-training allowed) on the referral page."""


class HeadingIntro(_Strict):
    """A section with a heading and an optional first sentence."""

    heading: Text
    """Section heading (also the PDF bookmark)."""
    intro: str = ""
    """Optional sentence under the heading."""


class NoFindingsWording(_Strict):
    """Shown instead of findings and exercises when nothing needs treating."""

    heading: Text
    """Heading."""
    text: Text
    """Friendly message."""


class ExerciseSides(_Strict):
    """Side labels shown on an exercise."""

    left: Text
    """Left side only."""
    right: Text
    """Right side only."""
    both: Text
    """Both sides."""


class ChangeLabels(_Strict):
    """Markers for how an exercise changed since the last plan."""

    new: Text
    """A new exercise."""
    harder: Text
    """Made harder."""
    same: Text
    """Unchanged."""
    easier: Text
    """Made easier."""


class DoseWording(_Strict):
    """Pieces of the dose line; {n} is the number."""

    sets: Text
    """Several sets."""
    sets_one: Text
    """One set."""
    reps: Text
    """Several repetitions."""
    reps_one: Text
    """One repetition."""
    hold: Text
    """Hold time in seconds."""
    minutes: Text
    """Duration in minutes."""
    per_week: Text
    """Days a week."""
    every_day: Text
    """Seven days a week."""
    twice_a_day: Text = "twice a day"
    """Fourteen sessions a week."""
    times_a_week: Text = "{n} times a week"
    """More than seven sessions a week (other than 14); ``{n}`` is the number."""
    rest: Text
    """Rest between sets in seconds."""
    times: Text
    """Joins sets, reps and holds ("3 sets × 10 reps")."""
    joiner: Text
    """Joins the parts of the dose line."""


class ExercisesWording(_Strict):
    """Exercise blocks."""

    heading: Text
    """Section heading."""
    intro: str = ""
    """Sentence under the heading."""
    purpose_label: Text
    """Label before the exercise's purpose."""
    steps_label: Text
    """Label above the numbered steps."""
    cues_label: Text
    """Label above the tips."""
    dose_label: Text
    """Label in the dose box."""
    precautions_label: Text
    """Label above the exercise's precautions."""
    sides: ExerciseSides
    """Side labels."""
    changes: ChangeLabels
    """Change markers."""
    dose: DoseWording
    """Dose line pieces."""


class Light(_Strict):
    """One row of the traffic light."""

    label: Text
    """Colour name, so the guide works without colour."""
    range: Text
    """Pain range, e.g. "0–2 out of 10"."""
    text: Text
    """What to do."""


class PainGuideWording(_Strict):
    """Traffic-light pain guide: how much pain during and after exercise is fine, too much, or a reason to stop."""

    heading: Text
    """Section heading."""
    intro: str = ""
    """How to score pain."""
    green: Light
    """Green row."""
    amber: Light
    """Amber row."""
    red: Light
    """Red row."""


class TrackingLogWording(_Strict):
    """Two-week tracking table."""

    heading: Text
    """Section heading."""
    intro: str = ""
    """How to use the table."""
    day: Text
    """Day column heading."""
    pain: Text
    """Pain column heading."""
    morning: Text
    """Next-morning pain column heading."""
    key_heading: Text
    """Label before the list of exercise numbers."""


class GetHelpWording(_Strict):
    """Red-flag safety net: the symptoms that mean stop and get help, and where to go."""

    heading: Text
    """Box heading."""
    intro: Text
    """What to do."""
    items: list[Text] = Field(min_length=1)
    """Symptoms in plain words."""


class ReviewWording(_Strict):
    """Next check-up."""

    heading: Text
    """Section heading."""
    text: Text
    """Sentence with {date}."""


class Wording(_Strict):
    """Every fixed heading and sentence of the handout."""

    footer: Text
    """Page footer with {client}, {page} and {pages}."""
    header: HeaderWording
    """Top of the first page."""
    referral: ReferralWording
    """Referral box."""
    urgent: UrgentWording
    emergency: UrgentWording | None = None
    """The referral page when a referral is an emergency (falls back to ``urgent``)."""
    """Urgent-referral page."""
    found: HeadingIntro
    """What we found."""
    no_findings: NoFindingsWording
    """Nothing to treat."""
    exercises: ExercisesWording
    """Exercise blocks."""
    pain_guide: PainGuideWording
    """Traffic-light pain guide."""
    running_cues: HeadingIntro
    """Running cues."""
    education: HeadingIntro
    """Things to know."""
    precautions: HeadingIntro
    """Be careful."""
    tracking_log: TrackingLogWording
    """Tracking table."""
    get_help: GetHelpWording
    """When to get help."""
    review: ReviewWording
    """Next check-up."""


class FoundPhrase(_Strict):
    """Plain sentence(s) for one finding kind; {side} is a side word."""

    one_side: str | None = None
    """The finding on one side only."""
    both: str | None = None
    """The finding on both sides."""
    any: str | None = None
    """A finding without a side."""
    grades: dict[str, str] = Field(default_factory=dict)
    """A sentence per grade (e.g. step_width narrow / crossover), used before ``any``."""

    @model_validator(mode="after")
    def _needs_one(self) -> FoundPhrase:
        if not (self.one_side or self.both or self.any):
            raise ValueError("give at least one of one_side, both, any")
        return self


class FoundWording(_Strict):
    """Plain words per finding kind."""

    pelvic_drop: FoundPhrase
    """Contralateral pelvic drop."""
    trunk_lean: FoundPhrase
    """Lateral trunk lean."""
    step_width: FoundPhrase
    """Narrow step width or crossover."""
    cadence: FoundPhrase
    """Low cadence."""
    forward_trunk_lean: FoundPhrase
    """Forward trunk lean."""
    single_leg_squat: FoundPhrase
    """Poor single-leg squat."""


class ReportLabels(_Strict):
    """Labels on the report's title block."""

    client: Text
    """Client name."""
    client_id: Text
    """Client id."""
    assessed_on: Text
    """Assessment date."""
    clinician: Text
    """Clinician."""
    clinic: Text
    """Clinic."""
    status: Text
    """Plan status."""
    revision: Text
    """Plan revision."""
    previous: Text
    """Previous revision and its sha256."""
    review: Text
    """Review interval."""
    engine: Text
    """Engine version."""
    rules_sha256: Text
    """Rule set hash."""
    exercises_sha256: Text
    """Exercise library hash."""


class ReportHeadings(_Strict):
    """Report section headings."""

    findings: Text
    """Findings table."""
    pain: Text
    """Pain table."""
    red_flags: Text
    """Red flags."""
    referrals: Text
    """Referrals."""
    precautions: Text
    """Precautions."""
    exercises: Text
    """Exercises table."""
    because: Text
    """Why each exercise."""
    excluded: Text
    """Exclusions."""
    cues: Text
    """Running cues."""
    education: Text
    """Education."""
    trace: Text
    """Rule trace."""
    notes: Text
    """Assessment notes."""


class ReportColumns(_Strict):
    """Report table column headings."""

    finding: Text
    """Finding."""
    side: Text
    """Side."""
    value: Text
    """Value and unit."""
    grade: Text
    """Grade."""
    flagged: Text
    """Flagged."""
    threshold: Text
    """Threshold."""
    region: Text
    """Pain region."""
    rest: Text
    """Pain at rest."""
    activity: Text
    """Pain on activity."""
    weeks: Text
    """Duration."""
    diagnosis: Text
    """Diagnosis."""
    reason: Text
    """Reason."""
    urgency: Text
    """Urgency."""
    rule: Text
    """Rule id."""
    text: Text
    """Text."""
    id: Text
    """Exercise id."""
    name: Text
    """Exercise name."""
    ladder: Text
    """Ladder and level."""
    dosage: Text
    """Dosage."""
    change: Text
    """Change."""
    exercise: Text
    """Exercise."""
    findings: Text
    """Findings a rule fired on."""
    evidence: Text
    """Evidence ids."""
    order: Text
    """Order."""
    fired_on: Text
    """Facts a rule fired on."""


class ReportWording(_Strict):
    """Wording of the clinician report."""

    title: Text
    """Report title."""
    footer: Text
    """Page footer with {client}, {page} and {pages}."""
    labels: ReportLabels
    """Title block labels."""
    headings: ReportHeadings
    """Section headings."""
    columns: ReportColumns
    """Table column headings."""
    empty: Text
    """Shown for an empty section."""
    flag_yes: Text
    """Flagged: yes."""
    flag_no: Text
    """Flagged: no."""


class Template(_Strict):
    """The handout template file (``templates/handout.yaml``)."""

    version: Literal[1]
    """Template format version."""
    language: Text = "en-GB"
    """Document language (BCP 47), for screen readers."""
    page: Page
    """Paper and text sizes."""
    fonts: Fonts
    """Font files."""
    colours: Colours
    """Colours."""
    clinic: Clinic
    """Clinic details."""
    sections: list[SectionName] = Field(min_length=1)
    """Order of the handout's parts; unknown names are errors."""
    dates: Dates
    """Date format."""
    sides: Sides
    """Side words used in sentences."""
    wording: Wording
    """Fixed handout wording."""
    found_wording: FoundWording
    """Plain words per finding kind."""
    report: ReportWording
    """Clinician report wording."""

    @model_validator(mode="after")
    def _unique_sections(self) -> Template:
        seen: set[str] = set()
        for name in self.sections:
            if name in seen:
                raise ValueError(f"section {name!r} is listed twice")
            seen.add(name)
        return self
