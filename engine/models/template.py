"""Model of ``templates/handout.yaml``: page layout, fonts, colours and every fixed sentence.

The handout's wording is data so that a clinic can edit it without Python. The model is strict
(unknown keys are errors, so a misspelt key is never silently ignored) and frozen.
"""

from __future__ import annotations

import re
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

    name: str = ""
    """Clinic name (also the PDF author), printed when the assessment names no clinic. Empty:
    such a handout prints ``name_blank`` (a loud line to fill in by hand), as for the contact."""
    name_blank: Text = "______________________ (write the clinic name here)"
    """Printed when neither the assessment nor the template names the clinic."""
    contact: str = ""
    """Phone number, e-mail or address of this clinic, printed on every handout. Empty: the
    handout prints ``contact_blank`` (a loud line to fill in by hand)."""
    contacts: dict[str, str] = Field(default_factory=dict)
    """Other clinics' contacts by clinic name (an assessment naming one of them gets its line)."""
    contact_blank: Text = "______________________ (write the phone number here)"
    """Printed when no contact is known for the plan's clinic."""
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
    """Heading above what to avoid until seen."""
    avoid: list[Text] = Field(default_factory=list)
    """What to avoid until seen (fixed words: the page gives no exercise or running advice)."""
    tell_heading: Text = "What to tell them"
    """Heading above the red flags in plain words."""
    tell_intro: Text = "Show them this sheet. Tell them you have:"
    """Sentence before the red flags."""


class HeadingIntro(_Strict):
    """A section with a heading and an optional first sentence."""

    heading: Text
    """Section heading (also the PDF bookmark)."""
    intro: str = ""
    """Optional sentence under the heading."""


class RunningCuesWording(HeadingIntro):
    """Running cues: printed only while the client runs (none while running is stopped)."""

    walk_run_heading: Text = "When you do the walk-run plan"
    """Heading in place of ``heading`` when the plan's running is the walk-run plan."""


class RunningWording(_Strict):
    """The running plan ("can I run, and how much?"); placeholders are filled from ``plan.running``."""

    heading: Text = "Your running plan"
    """Section heading."""
    target: Text = "Until your next check-up: about {km} km a week in total."
    """The weekly distance to run, ``{km}``."""
    target_pct: Text = "Until your next check-up: about {pct}\u00a0% of your usual weekly distance."
    """The same as a share of the client's usual distance, ``{pct}`` (no distance recorded)."""
    pain_limit: Text = "Pain limit: keep pain at {n} out of 10 or less while you run, and settled by the next morning."
    """Running pain limit, ``{n}`` out of 10."""
    pain_limit_walk_run: Text = (
        "Pain limit: keep pain at {n} out of 10 or less during each walk-run, and settled by the next morning."
    )
    """The same for a client on the walk-run plan."""
    pain_limit_to_come: Text = (
        "When you start the walk-run plan: keep pain at {n} out of 10 or less during each walk-run, "
        "and settled by the next morning."
    )
    """The same for a client who does not run yet (checks to pass first)."""
    increase: Text = "After that, add no more than {pct}% to your weekly distance over any two weeks."
    """Most a weekly distance may grow over two weeks, ``{pct}``."""
    checks: Text = "Start the walk-run plan when all of these are true:"
    """Before the walk-run checks."""
    stage: Text = "Stage {stage}: walk {walk} min, then run {run} min. Do this {repeats} times."
    """One walk-run stage."""
    stage_run: Text = "Stage {stage}: run {run} minutes without a break."
    """A stage with no walking."""
    stages_rule: Text = "Do each stage twice, with a rest day between runs, before you move to the next one."
    """After the stages."""


class EducationWording(HeadingIntro):
    """Things to know."""

    both_sides_only: list[Text] = Field(default_factory=list)
    """Sentences of the plan's education printed only when no exercise is for one side only
    (e.g. "Train both legs the same amount.")."""


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
    lie_left: Text = "Lie on your left side"
    """Left side only, for an exercise lying on the working side (side plank): where to lie."""
    lie_right: Text = "Lie on your right side"
    """Right side only, lying on the working side."""
    top_left: Text = "Left leg on top"
    """Left side only, for an exercise lying on the other side (clam): the working leg is on top."""
    top_right: Text = "Right leg on top"
    """Right side only, lying on the other side."""


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
    minutes_one: Text = "{n} minute"
    """One minute."""
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


class SideWords(_Strict):
    """What each side placeholder of an exercise text becomes for one prescribed side."""

    your_leg: Text
    """The working leg."""
    your_other_leg: Text
    """The other leg."""
    your_side: Text
    """The working side."""
    your_other_side: Text
    """The other side."""
    your_hand: Text
    """The hand on the working side."""
    your_other_hand: Text
    """The hand on the other side."""


def _side_words(side: str, other: str) -> SideWords:
    return SideWords.model_validate(
        {
            "your_leg": f"your {side} leg",
            "your_other_leg": f"your {other} leg",
            "your_side": f"your {side} side",
            "your_other_side": f"your {other} side",
            "your_hand": f"your {side} hand",
            "your_other_hand": f"your {other} hand",
        }
    )


class SideWordSet(_Strict):
    """Side placeholders per prescribed side (NOTES.md, i10 convention)."""

    right: SideWords = _side_words("right", "left")
    """Prescribed on the right."""
    left: SideWords = _side_words("left", "right")
    """Prescribed on the left."""


class ExercisesWording(_Strict):
    """Exercise blocks."""

    side_words: SideWordSet = SideWordSet()
    """What {your_leg}, {your_other_hand}, … become for each prescribed side."""
    both_sides_step: Text = "Then do it all again the other way round, with left and right changed over."
    """Last step added to a one-side-at-a-time exercise prescribed on both sides (its other steps
    are printed for the right side, as its picture is)."""
    each_side: Text = "each side"
    """Added to the dose of an exercise prescribed on both sides."""
    cadence_target: Text = "{target} beats a minute (your {now} steps a minute plus {pct}%)"
    """{cadence_target} when the cadence was measured."""
    cadence_unknown: Text = (
        "your own step rate plus {pct}% (count your steps for 30 seconds at an easy pace, double it, then add {pct}%)"
    )
    """{cadence_target} when the cadence was not measured."""
    lie_on_other: Text = "Lie on {down}, not on your sore {sore} hip."
    """Said instead of lying on a sore gluteal-tendinopathy side; {down} and {sore} are side words."""
    picture_credit: Text = "Pictures: {credits}"
    """Credits line for clinic pictures; {credits} is "name: author, licence; …"."""
    picture_side: Text = "{mark} = {side}"
    """Key printed under a mirrored picture."""

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


def _compiled(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        raise ValueError(f"{what}: {pattern!r} is not a valid regular expression ({err})") from None


class PainOverride(_Strict):
    """A pain guide that replaces the traffic light for a condition whose pain rules differ (e.g. a bone stress injury)."""

    heading: Text
    """Heading."""
    intro: str = ""
    """First sentence."""
    rules: list[Light] = Field(min_length=1)
    """Rows, each with a label, a range and what to do."""
    instead: Text | None = None
    """Printed in place of every exercise sentence that gives a pain limit in numbers (see
    ``pain_guide.pain_number``), once per list; none: such sentences are left out."""
    running_pain_limit: Text | None = None
    """The running plan's pain limit under this guide (in place of the numeric one); none: the
    numeric line is left out."""
    entry_criteria_words: dict[Text, Text] = Field(default_factory=dict)
    """Walk-run checks: words (a regular expression) that give a pain number, and the words this
    guide puts in their place; a check still giving a pain number after them is left out."""
    entry_criteria: list[Text] = Field(default_factory=list)
    """Walk-run checks this guide adds."""

    @model_validator(mode="after")
    def _patterns_compile(self) -> PainOverride:
        for pattern in self.entry_criteria_words:
            _compiled(pattern, "entry_criteria_words")
        return self


class PainGuideWording(_Strict):
    """Traffic-light pain guide: how much pain during and after exercise is fine, too much, or a reason to stop."""

    overrides: dict[str, PainOverride] = Field(default_factory=dict)
    """Guides that replace the traffic light when the plan has the condition (e.g. bone_stress_injury);
    the first listed condition the plan has wins."""
    same_as_rules: list[str] = Field(default_factory=list)
    """Rule ids whose education repeats this guide; their text is not printed again."""
    pain_number: Text = r"\b(pain|painful|hurts?)\b[^.]*?\b\d+ out of 10\b"
    """A sentence giving a pain limit in numbers, the traffic light's kind (a regular expression,
    case-insensitive); under an override guide such sentences are not printed."""

    @model_validator(mode="after")
    def _pattern_compiles(self) -> PainGuideWording:
        _compiled(self.pain_number, "pain_number")
        return self

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
    """Tracking table, one row a day until the review."""

    heading: Text
    """Section heading; {days} is the number of days until the review."""
    max_days: int = Field(default=28, ge=7, le=42)
    """Most rows printed; a longer review interval prints ``heading_first``."""
    heading_first: Text = "Your log for the first {days} days"
    """Heading when the review is further away than ``max_days``."""
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
    running_cues: RunningCuesWording
    """Running cues."""
    running: RunningWording = Field(default_factory=RunningWording)
    """The running plan."""
    education: EducationWording
    """Things to know."""
    precautions: HeadingIntro
    """Be careful."""
    tracking_log: TrackingLogWording
    """Tracking table."""
    get_help: GetHelpWording
    """When to get help."""
    review: ReviewWording
    """Next check-up."""


class RedFlagWords(_Strict):
    """Plain words for each red flag (what to tell the doctor)."""

    saddle_anaesthesia: Text = "numbness or tingling between your legs or around your bottom"
    bladder_bowel_change: Text = "a change in how you pass urine or open your bowels"
    progressive_neuro_deficit: Text = "weakness or numbness in your leg that is getting worse"
    bilateral_leg_neuro_symptoms: Text = "pain, tingling or numbness in both legs"
    unexplained_weight_loss: Text = "weight loss without trying"
    cancer_history: Text = "had cancer in the past"
    fever_or_unwell: Text = "a fever or feeling unwell together with your pain"
    night_pain_unrelenting: Text = "pain that stays all night and does not ease when you move"
    significant_trauma: Text = "pain that started with a bad fall or a hard knock"
    suspected_bone_stress_injury: Text = "bone pain from running that may be a stress fracture"
    red_s_signs: Text = "signs that you may not be eating enough for your training, such as missed periods"


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
    not_included: Text = "Not included"
    """Exercises the rules chose that the plan left out (over the exercise cap, one per ladder), each with its reason."""
    not_included_urgent: Text = "Not included: urgent referral (no exercises until the client has been seen)"
    """Exercises an urgent referral took out of the plan."""
    not_included_clinician: Text = "Removed by the clinician"
    """Exercises a clinician override removed."""
    running: Text = "Running"
    """The running plan (status, distance, walk-run stages, pain limit, rule)."""
    side_printed: Text = "Printed on another side"
    """Side-lying exercises the handout prints on another side than the plan's, and why."""
    precautions_not_applied: Text = "Exercise precautions not applied (urgent referral: no exercises)"
    """Precautions of an urgent plan that concern exercise, listed apart."""
    reviewed: Text = "Review: feedback received"
    """At review: each exercise of the previous plan, its feedback and its dose was → now."""
    overrides: Text = "Clinician overrides"
    """The clinician's overrides with their reasons (made now or carried from earlier plans)."""
    warnings: Text = "Check these"
    """Things the clinician should check (e.g. an exercise without feedback)."""


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
    completed: Text = "Done"
    """Review: the client did the exercise as prescribed."""
    pain: Text = "Pain during / morning"
    """Review: pain (0-10) during the exercise and the next morning."""
    control: Text = "Control"
    """Review: movement control reported."""
    dose_was_now: Text = "Dose was → now"
    """Review: the exercise's level, dose step and dose before and after the review."""
    kind: Text = "Kind"
    """Override kind (swap, dose, remove, add)."""
    made_on: Text = "Made on"
    """Date of the plan an override was made in."""
    overrides_exclusion: Text = "Rule excluded it"
    """An added exercise a rule had excluded (the rule id, flagged)."""
    printed: Text = "Handout"
    """The side the handout prints."""


class ReportRunningLabels(_Strict):
    """Row labels of the report's running table."""

    status: Text = "Status"
    summary: Text = "Summary (printed)"
    weekly_km: Text = "Usual km a week"
    target_weekly_km: Text = "Target km a week"
    target_pct: Text = "Target (% of usual distance)"
    pain_limit: Text = "Pain limit (0-10)"
    max_increase: Text = "Most increase over 2 weeks (%)"
    entry_criteria: Text = "Walk-run checks"
    walk_run: Text = "Walk-run stages"
    stage: Text = "stage {stage}: walk {walk} min, run {run} min × {repeats}"
    """One walk-run stage; {stage}, {walk}, {run}, {repeats}."""
    stages: Text = "{count} stages, from {first}"
    """The stages; {count} and {first} (the first stage, as ``stage``)."""
    rule: Text = "Rule"
    change: Text = "Change at review"
    because: Text = "Set by (review)"
    advice: Text = "Advice (rule)"


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
    no_feedback: Text = "no feedback"
    """Review: an exercise with no feedback entry (kept as it was)."""
    not_in_plan: Text = "not in the new plan"
    """Review: an exercise the new plan no longer has."""
    dose_at: Text = "{id} L{level} step {step}: {dose}"
    """Review: one side of was → now; {id}, {level}, {step} and {dose}."""
    side_printed: Text = "{side} → {shown}"
    """Exercises table: a side-lying exercise the handout prints on another side, off a sore hip;
    {side} (the plan's) and {shown} (the handout's)."""
    side_reason: Text = "sore {sore} hip: the handout never has the client lie on it"
    """Why the handout prints it on another side; {sore}."""
    running: ReportRunningLabels = Field(default_factory=ReportRunningLabels)
    """Row labels of the running table."""


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
    red_flag_words: RedFlagWords = RedFlagWords()
    """Plain words per red flag, for the referral sheet."""
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
