"""``rehab new KIND``: commented templates to fill in, valid as written.

Every template starts with the ``# yaml-language-server: $schema=...`` line (relative to where the
file usually lives), explains every key and lists the allowed words. The vocabulary lists are
filled in from the models, so a word added to a model shows up in the templates too.
Optional keys are commented out (absent = not assessed), so an unedited template never claims a
measurement nobody made.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

from engine.app.output import check_target, write_atomic
from engine.errors import InputError
from engine.models.assessment import DIAGNOSES, RED_FLAGS, REGIONS
from engine.models.exercise import TAGS, TARGETS, Equipment

KINDS: tuple[str, ...] = ("assessment", "feedback", "rule", "exercise")
"""What ``rehab new`` can write."""

SCHEMA_PATHS: dict[str, str] = {
    "assessment": "../schemas/assessment.schema.json",
    "feedback": "../schemas/feedback.schema.json",
    "rule": "../../schemas/rules.schema.json",
    "exercise": "../schemas/exercise.schema.json",
}
"""Schema path per kind, relative to the folder such a file usually lives in."""

EQUIPMENT: tuple[str, ...] = get_args(Equipment)


def _words(values: Iterable[str], prefix: str = "#   ") -> str:
    """Wrap a vocabulary into comment lines."""
    return "\n".join(prefix + line for line in textwrap.wrap(", ".join(values), 90))


ASSESSMENT = """\
# Runner assessment (YAML, version 1). Keys starting with '# ' are optional: remove the '# ' to fill one
# in. A finding left commented out was not assessed (NOT the same as normal). Check the file with
# `rehab validate FILE`, then `rehab plan FILE`. Tip: `rehab assess` asks every question for you,
# red flags included.
version: 1                        # format version; always 1
client:
  name: First Last                # required; the client's full name, any Unicode
  # id: C-0042                    # clinic's client id
  # age: 34                       # years, 10..100
  # sex: female                   # female | male | other | unspecified
  # weekly_km: 40                 # current weekly running km, >= 0
  # goal: 10 km in 12 weeks       # the runner's goal in their words
assessed_on: @@@TODAY@@           # required; ISO date (YYYY-MM-DD), not in the future
# clinician:                      # who assessed, and where
#   name: Sam Lee                 # clinician's name
#   clinic: Harbour Physio        # clinic name
findings: {}                      # what was measured; to fill in, replace '{}' with the keys:
# findings:
#   pelvic_drop:                  # contralateral pelvic drop at midstance, frontal-plane video
#     left_stance_deg: 8.5        # 0..30; standing on the LEFT leg (the right side drops)
#     right_stance_deg: 9.0       # 0..30; standing on the RIGHT leg
#     # or a grade instead of degrees (not both for one side):
#     # left_stance_grade: mild   # none | mild | moderate | marked
#     # right_stance_grade: mild  # none | mild | moderate | marked
#   trunk_lean:                   # lateral trunk lean toward the stance side at midstance
#     left_stance_deg: 2.0        # 0..30 (or left_stance_grade: none | mild | moderate | marked)
#     right_stance_deg: 7.0       # 0..30 (or right_stance_grade: none | mild | moderate | marked)
#   step_width:
#     cm: 3.0                     # -15..40, heel-centre to heel-centre; < 0 = feet cross midline
#     crossover: true             # true when a foot lands across the midline
#   cadence_spm: 162              # steps per minute, 120..230
#   forward_trunk_lean_deg: 12    # sagittal trunk lean in degrees, 0..45
#   single_leg_squat:             # movement quality per side: good | fair | poor
#     left: fair
#     right: poor
pain: []                          # painful areas; to fill in, replace '[]' with entries:
# pain:
#   - region: lateral_knee        # see the regions below
#     side: right                 # left | right | both | central
#     nrs_rest: 0                 # pain at rest, 0..10
#     nrs_activity: 6             # worst pain during running, 0..10
#     weeks: 8                    # how long, in weeks, >= 0
#     diagnosis: itbs             # optional; see the diagnoses below
#     radicular: false            # leg symptoms from the spine (below-knee pain, pins and
#                                 # needles, numbness)
# regions:
@REGIONS@
# diagnoses:
@DIAGNOSES@
red_flags: []                     # ASK ABOUT EVERY ONE; list those present, e.g.
#                                 # red_flags: [saddle_anaesthesia]. Any entry means referral:
@RED_FLAGS@
# notes: free text                # anything else worth keeping
# Written by `rehab import` (i16), not by hand: what the gait file could not tell, and where it came from.
# to_complete: [pain, red_flags]  # `rehab plan` refuses until every word is deleted (after asking)
# source: {tool: opencap, ...}     # the gait file, its sha256, the columns and stance windows used
"""

FEEDBACK = """\
# Feedback at review (YAML, version 1). `rehab progress PLAN.json FILE` writes the next plan.
version: 1                        # format version; always 1
reported_on: @@@TODAY@@           # ISO date of the review (YYYY-MM-DD), not in the future
exercises:                        # one entry per exercise (and side) of the plan
  - id: wb-glute-med-hold         # exercise id from the plan (plan.json exercises[].id)
    side: both                    # left | right | both, as in the plan
    completed: false              # true when all prescribed sets/reps were done
    pain_during: 0                # pain during the exercise, 0..10
    pain_next_morning: 0          # pain the next morning, 0..10
    control: fair                 # movement quality: good | fair | poor
running:                          # optional; leave out (or blank) if the client did not run
  pain_during: 0                  # pain while running, 0..10
  pain_next_morning: 0            # pain the next morning, 0..10
  # walk_run_stage: 1             # on a walk-run plan: the highest stage done twice without a flare
new_red_flags: []                 # red flags new since the plan; any entry means referral:
@RED_FLAGS@
spreading_leg_symptoms: false     # leg symptoms spread further down the leg (counts as red)
"""

RULE = """\
# A rule file (assessment stage). Put it in rules/assessment/, then run `rehab rules check`
# and add test cases in a *.test.yaml file beside it (`rehab rules test`).
version: 1                        # format version; always 1
stage: assessment                 # assessment (first plan) | progression (at review)
rules:
  - id: my-clinic-poor-squat      # unique id, kebab-case (a-z, 0-9, -)
    description: >-               # what the rule does and why, for clinicians
      Poor single-leg squat on one side: practise the movement at a mirror on that side.
    priority: 500                 # 0..65534; lower fires first and ranks first in the plan
    evidence: [crossley-2011]     # reference ids from rules/references.yaml (at least one)
    when:                         # a tree of all / any over fact patterns
      all:
        - fact: single_leg_squat  # the kind of fact (`rehab explain FILE` lists them)
          as: squat               # a name for the matched fact, used by `from` and `ref`
          where: {field: quality, eq: poor}
          # a test is {field: F, OP: V} with OP one of eq, ne, lt, lte, gt, gte, in, exists,
          # or all/any of tests; eq may compare with another fact: {ref: alias.field}
        - fact: assessment
          where: {field: has_red_flags, eq: false}
    then:                         # one key per action:
      # prescribe {exercise: ID | ladder: ID + level: N, side: left|right|both|{from: a.side},
      #   dose: N}; exclude {exercise|tag|ladder, reason}; refer {urgency: urgent|soon|routine,
      #   reason}; limit {max_level, max_dose, reason}; derive {fact, set}; precaution: TEXT;
      #   cue: TEXT; educate: TEXT; review_in_days: N (1..365)
      - prescribe: {exercise: single-leg-squat-mirror, side: {from: squat.side}}
      - cue: Knee points over your second toe.
"""

EXERCISE = """\
# An exercise of the library. Save it as exercises/<id>.yaml (file name = id), add it to its
# ladder, then run `rehab rules check`.
id: my-exercise                   # kebab-case id, equal to the file name without .yaml
name: My exercise                 # name shown to the client
ladder: pelvic-control            # ladder id from exercises/ladders.yaml
level: 1                          # place on the ladder, 1 = easiest; levels run 1..N, no gaps
targets: [pelvic_control]         # what it trains (at least one):
@TARGETS@
tags: [weight_bearing]            # properties used by exclusions:
@TAGS@
sided: true                       # true when done one side at a time
purpose: Say what it does for you.  # one plain sentence for the client
steps:                            # 2..8 plain-language steps; name sides as {your_leg},
  # {your_other_leg}, {your_side}, {your_other_side}, {your_hand}, {your_other_hand}; never "swap"
  - Stand tall with your feet hip-width apart.
  - Describe the movement, then how to finish.
cues:                             # 2..4 short cues
  - Keep your belt line level.
  - Move slowly.
equipment: []                     # what the client needs:
@EQUIPMENT@
doses:                            # 1..6 dose steps, easiest first; sets, per_week and exactly
  # one of reps (1..200), hold_s (1..300) or minutes (1..90); rest_s and note optional
  - {sets: 2, reps: 10, per_week: 3, rest_s: 60}
precautions:                      # plain-language precautions (optional)
  - Stop if your pain goes above 5 out of 10, or if the next morning it is 3 or more points higher than usual.
evidence: [crossley-2011]         # reference ids from rules/references.yaml (at least one)
picture:                          # the stick figure on the handout
  view: front                     # front | side | back
  alt: Person standing tall, arms by the sides.   # text for screen readers
  poses:                          # 1 or 2 poses (start, end); every joint as [x, y], 0..100,
    - joints:                     # y downward
        head: [50, 12]
        neck: [50, 22]
        l_shoulder: [58, 25]
        r_shoulder: [42, 25]
        l_elbow: [60, 38]
        r_elbow: [40, 38]
        l_hand: [61, 50]
        r_hand: [39, 50]
        l_hip: [55, 52]
        r_hip: [45, 52]
        l_knee: [56, 72]
        r_knee: [44, 72]
        l_ankle: [56, 91]
        r_ankle: [44, 91]
        l_toe: [59, 94]
        r_toe: [41, 94]
  props:                          # drawn behind: floor, wall, band, step, line, arrow, mat, weight, chair, box
    - {type: floor, y: 95}
  # working: right                # the side drawn working (the handout mirrors it for the other side)
  # facing: viewer                # left | right | viewer | away (default from the view)
  # file: pictures/my-drawing.svg # a clinic picture inside this folder instead of the figure,
  # licence: CC-BY-4.0            #   with its licence and author (printed as credits)
  # author: Harbour Physio
# lies_on: other                  # side-lying exercises: which side is on the floor (working | other)
# cadence_increase_pct: 5         # metronome drills: step-rate increase; the plan computes the beat
"""

_BODIES: dict[str, str] = {
    "assessment": ASSESSMENT,
    "feedback": FEEDBACK,
    "rule": RULE,
    "exercise": EXERCISE,
}


def schema_file(kind: str) -> Path:
    """The JSON Schema file for ``kind`` that ships with the engine (installed wheel or checkout)."""
    from importlib import resources

    name = Path(SCHEMA_PATHS[kind]).name
    packaged = Path(str(resources.files("engine"))) / "_data" / "schemas"
    folder = packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "schemas"
    return folder / name


def schema_ref(kind: str, output: Path | None) -> str:
    """The ``$schema`` reference for a file written to ``output``: relative to its folder, or a
    ``file://`` address when printed (the destination is unknown) or on another drive."""
    target = schema_file(kind).resolve()
    if output is None or str(output) == "-":
        return target.as_uri()
    try:
        return Path(os.path.relpath(target, output.resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows)
        return target.as_uri()


def template(kind: str, *, today: dt.date | None = None, schema: str | None = None) -> str:
    """Return the filled-in template text for ``kind``.

    Raises:
        InputError: ``kind`` is not one of :data:`KINDS`.
    """
    if kind not in _BODIES:
        raise InputError.at("new", f"unknown kind '{kind}'", hint="use one of: " + ", ".join(KINDS))
    fills = {
        "@@@TODAY@@": (today or dt.date.today()).isoformat(),
        "@REGIONS@": _words(REGIONS),
        "@DIAGNOSES@": _words(DIAGNOSES),
        "@RED_FLAGS@": _words(RED_FLAGS),
        "@TARGETS@": _words(TARGETS),
        "@TAGS@": _words(TAGS),
        "@EQUIPMENT@": _words(EQUIPMENT),
    }
    body = _BODIES[kind]
    for mark, text in fills.items():
        body = body.replace(mark, text)
    return f"# yaml-language-server: $schema={schema or SCHEMA_PATHS[kind]}\n{body}"


def feedback_for(plan: Any, *, today: dt.date | None = None, schema: str | None = None) -> str:
    """A feedback file with one entry per exercise (and side) of ``plan``, to fill in at review."""
    lines = template("feedback", today=today, schema=schema).splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("exercises:"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("running:"))
    entries = [lines[start]]
    if not plan.exercises:
        entries = ["exercises: []                     # the plan has no exercises"]
    for e in plan.exercises:
        entries += [
            f"  - id: {e.id}".ljust(34) + f"# {e.name}, level {e.level}",
            f"    side: {e.side}".ljust(34) + "# as in the plan",
            "    completed: false".ljust(34) + "# true when all prescribed sets/reps were done",
            "    pain_during: 0".ljust(34) + "# pain during the exercise, 0..10",
            "    pain_next_morning: 0".ljust(34) + "# pain the next morning, 0..10",
            "    control: fair".ljust(34) + "# movement quality: good | fair | poor",
        ]
    head = [f"# For the plan of {plan.client.name}, revision {plan.revision} ({plan.assessed_on})."]
    return "\n".join([*lines[:2], *head, *lines[2:start], *entries, *lines[end:]]) + "\n"


def new_file(kind: str, output: Path | None, *, force: bool, plan: Any = None) -> None:
    """Write the template for ``kind`` to ``output`` (stdout when ``None``).

    Raises:
        InputError: unknown kind (exit 2).
        OutputError: ``output`` exists (without ``force``) or cannot be written.
    """
    if plan is not None and kind != "feedback":
        raise InputError.at("new", "--plan goes with 'rehab new feedback'")
    if kind not in _BODIES:
        template(kind)  # the unknown-kind error
    ref = schema_ref(kind, output)
    text = feedback_for(plan, schema=ref) if plan is not None else template(kind, schema=ref)
    target = output if output is not None else Path("-")
    check_target(target, force=force)
    write_atomic(target, text, force=force)
