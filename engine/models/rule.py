"""The rule language: YAML data a clinician writes, validated before anything is compiled.

A rule file::

    version: 1
    rules:
      - id: cpd-unilateral
        description: Pelvic drop on one stance leg -> stance-leg control on that side.
        priority: 100              # 0..65534, lower fires first
        evidence: [bramah-2018]
        when:                      # a tree of all / any over fact patterns
          all:
            - fact: pelvic_drop
              as: drop
              where: {all: [{field: flagged, eq: true}, {field: grade, in: [moderate, marked]}]}
            - fact: assessment
              where: {field: has_red_flags, eq: false}
        then:
          - prescribe: {exercise: wb-glute-med-hold, side: {from: drop.side}}
          - cue: Keep your belt line level.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, StringConstraints, Tag, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from engine.models.base import Range, Slug, StrictModel, Text, Word

RESERVED_FIELDS = frozenset({"kind", "fid", "sid", "id", "derived_by"})
"""Field names the engine uses in every fact (durable's session and fact ids, the fact kind, who
derived it); a rule may neither set nor test them. Keep this in step with compiler.RESERVED_FIELDS."""

NUMBER_LIMIT = 1e15
"""Rule numbers stay strictly inside ±1e15 (the engine compares bigger fact values as ±1e15)."""


def _engine_number(v: Any) -> Any:
    if isinstance(v, float | int) and not isinstance(v, bool) and (v != v or not -NUMBER_LIMIT < v < NUMBER_LIMIT):
        raise PydanticCustomError(
            "number_range",
            "{value} is out of range: rule numbers must be finite and between -1e15 and 1e15",
            {"value": repr(v)},
        )
    return v


def _not_reserved(name: Any) -> Any:
    if name in RESERVED_FIELDS:
        raise PydanticCustomError(
            "reserved_field",
            "'{name}' is a name the engine uses itself ({names}); choose another field name",
            {"name": name, "names": ", ".join(sorted(RESERVED_FIELDS))},
        )
    return name


Number = Annotated[float, AfterValidator(_engine_number)]
MAX_WORD_VALUE = 1000
"""A word a rule compares with or derives has at most this many characters (durable_rules
compares only the start of very long strings: two different 70,000-character words were equal)."""


def _word_length(v: str) -> str:
    if len(v) > MAX_WORD_VALUE:
        raise PydanticCustomError(
            "word_length",
            "a word in a rule has at most {limit} characters (this one has {n})",
            {"limit": MAX_WORD_VALUE, "n": len(v)},
        )
    return v


WordValue = Annotated[str, AfterValidator(_word_length)]
Scalar = WordValue | bool | Annotated[int, AfterValidator(_engine_number)] | Number
"""A literal value in a condition or a derived fact."""
FieldName = Annotated[Word, AfterValidator(_not_reserved)]
"""A fact field a rule tests or sets (not one of the engine's own keys)."""


def _ref_not_reserved(ref: str) -> str:
    _not_reserved(ref.split(".", 1)[1])
    return ref


DottedRef = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"), AfterValidator(_ref_not_reserved)
]
"""``alias.field`` naming a field of a fact matched earlier in the same rule."""

OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "exists")


def _exactly_one(obj: Any, names: tuple[str, ...], what: str) -> str:
    present = [n for n in names if getattr(obj, n if n != "in" else "in_", None) is not None]
    if len(present) != 1:
        raise PydanticCustomError(
            "one_of",
            "{what} needs exactly one of: {names} (found {found})",
            {"what": what, "names": ", ".join(names), "found": ", ".join(present) or "none"},
        )
    return present[0]


class Ref(StrictModel):
    """Compare with a field of another matched fact (an equality join)."""

    ref: DottedRef
    """``alias.field`` of a fact matched earlier in the same rule."""


class From(StrictModel):
    """Take a value from a matched fact."""

    from_: DottedRef = Field(alias="from")
    """``alias.field`` of a matched fact, e.g. ``drop.side``."""


class Test(StrictModel):
    """A condition on one fact: ``{field: grade, in: [moderate, marked]}`` or all/any of tests."""

    all: list[Test] | None = Field(default=None, min_length=1)
    """Every test must hold."""
    any: list[Test] | None = Field(default=None, min_length=1)
    """At least one test must hold."""
    field: FieldName | None = None
    """The fact's field the operator looks at."""
    eq: Scalar | Ref | None = None
    """Equal to a value, or to another fact's field (``{ref: drop.side}``)."""
    ne: Scalar | None = None
    """Not equal to (true only when the field is present)."""
    lt: Number | None = None
    """Less than."""
    lte: Number | None = None
    """Less than or equal to."""
    gt: Number | None = None
    """Greater than."""
    gte: Number | None = None
    """Greater than or equal to."""
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1, max_length=30)
    """One of these values."""
    exists: bool | None = None
    """The field is present (true) or absent (false)."""

    @model_validator(mode="after")
    def _shape(self) -> Test:
        if self.all is not None or self.any is not None:
            if self.field is not None or self.op() is not None or (self.all and self.any):
                raise PydanticCustomError(
                    "test_shape", "a test is either all/any of tests or one field with one operator"
                )
            return self
        if self.field is None:
            raise PydanticCustomError("test_shape", "a test needs 'field' and one operator, or all/any")
        _exactly_one(self, OPS, f"the test on '{self.field}'")
        return self

    def leaves(self) -> Iterator[Test]:
        """Yield every leaf test (``field`` + operator) of this tree, in order."""
        if self.all is None and self.any is None:
            yield self
            return
        for child in self.all or self.any or []:
            yield from child.leaves()

    def op(self) -> str | None:
        """Return the operator name used by this leaf test, if any."""
        for name in OPS:
            if getattr(self, "in_" if name == "in" else name) is not None:
                return name
        return None

    def value(self) -> Any:
        """Return the operand of this leaf test."""
        name = self.op()
        if name is None:
            return None
        return getattr(self, "in_" if name == "in" else name)


class When(StrictModel):
    """A pattern (one fact and its tests) or all/any of patterns."""

    all: list[When] | None = Field(default=None, min_length=1)
    """Every pattern must match (facts can be joined with ``ref``)."""
    any: list[When] | None = Field(default=None, min_length=1)
    """At least one pattern must match."""
    fact: Word | None = None
    """The kind of fact to match, e.g. ``pelvic_drop`` or a derived fact."""
    as_: Word | None = Field(default=None, alias="as")
    """Name for the matched fact, used by ``ref`` and ``from`` (defaults to the fact kind)."""
    where: Test | None = None
    """Tests on the fact; without it any fact of that kind matches."""

    @model_validator(mode="after")
    def _shape(self) -> When:
        kind = _exactly_one(self, ("all", "any", "fact"), "a condition")
        if kind != "fact" and (self.as_ is not None or self.where is not None):
            raise PydanticCustomError("when_shape", "'as' and 'where' belong next to 'fact'")
        return self

    @property
    def alias(self) -> str:
        """Return the name this pattern binds."""
        return self.as_ or str(self.fact)


SideValue = Literal["left", "right", "both"] | From


class Dosage(StrictModel):
    """A dose: sets and exactly one of reps, hold seconds or minutes."""

    sets: Annotated[int, Range(1, 10)]
    """Sets per session."""
    reps: Annotated[int, Range(1, 200)] | None = None
    """Repetitions per set (or contacts for hops)."""
    hold_s: Annotated[int, Range(1, 300)] | None = None
    """Seconds per hold."""
    minutes: Annotated[int, Range(1, 90)] | None = None
    """Minutes (gait drills)."""
    per_week: Annotated[int, Range(1, 14)]
    """Sessions per week."""
    rest_s: Annotated[int, Range(0, 600)] | None = None
    """Rest between sets, seconds."""
    note: Text | None = None
    """Short note, e.g. 'light band'."""

    @model_validator(mode="after")
    def _one_measure(self) -> Dosage:
        _exactly_one(self, ("reps", "hold_s", "minutes"), "a dose")
        return self


class Prescribe(StrictModel):
    """Add an exercise (or a ladder at a level) to the plan."""

    exercise: Slug | None = None
    """Exercise id from exercises/."""
    ladder: Slug | None = None
    """Ladder id; use with ``level``."""
    level: Annotated[int, Range(1, 50)] | None = None
    """Starting level on the ladder."""
    side: SideValue | None = None
    """left | right | both, or ``{from: alias.side}``; default both."""
    dose: Annotated[int, Range(1, 10)] = 1
    """Dose step of the exercise to start at (1 = its first, easiest dose)."""

    @model_validator(mode="after")
    def _target(self) -> Prescribe:
        _exactly_one(self, ("exercise", "ladder"), "prescribe")
        if self.ladder is not None and self.level is None:
            raise PydanticCustomError("prescribe_level", "prescribe with 'ladder' needs 'level'")
        if self.exercise is not None and self.level is not None:
            raise PydanticCustomError("prescribe_level", "'level' goes with 'ladder'; an exercise has its own level")
        return self


class Exclude(StrictModel):
    """Keep exercises out of the plan, whatever else prescribes them."""

    exercise: Slug | None = None
    """An exercise id."""
    tag: Word | None = None
    """Every exercise with this tag (e.g. impact)."""
    ladder: Slug | None = None
    """Every exercise on this ladder."""
    reason: Text
    """Why, for the clinician report."""

    @model_validator(mode="after")
    def _target(self) -> Exclude:
        _exactly_one(self, ("exercise", "tag", "ladder"), "exclude")
        return self


class Refer(StrictModel):
    """Refer the client on."""

    urgency: Literal["emergency", "urgent", "soon", "routine"]
    """emergency (go to the emergency department now) and urgent (a doctor today) remove all exercises."""
    reason: Text
    """Why, in words the client can read."""


class Limit(StrictModel):
    """Cap levels and doses (e.g. for a highly irritable presentation)."""

    max_level: Annotated[int, Range(1, 50)] | None = None
    """Highest ladder level allowed; higher prescriptions move down their ladder."""
    max_dose: Annotated[int, Range(1, 10)] | None = None
    """Highest dose step allowed."""
    ladders: list[Slug] | None = Field(default=None, min_length=1)
    """Only these ladders (default: every ladder)."""
    reason: Text
    """Why, for the clinician report."""


class Derive(StrictModel):
    """Assert a new fact that later rules can match (forward chaining)."""

    fact: Word
    """Kind of the new fact."""
    set: dict[FieldName, Scalar | From] = Field(default_factory=dict, max_length=100)
    """Its fields: literal values or ``{from: alias.field}``."""


class Progress(StrictModel):
    """Progression stage: move a reviewed exercise up, hold it, or move it down its ladder."""

    change: Literal["up", "hold", "down", "review"]
    """up = next dose step then next level; down = one level down; review = clinician review."""
    of: Word
    """Alias of the matched feedback fact whose exercise this changes."""
    reason: Text
    """Plain words for the client ('pain stayed low, so we made it harder')."""


class Running(StrictModel):
    """The plan's running section: what running is allowed now, and why (most conservative wins)."""

    status: Literal["stop", "walk_run", "reduce", "continue"]
    """stop (no running for now) > walk_run (walk-run programme after the entry checks) >
    reduce (keep running, less of it) > continue (keep running, build slowly)."""
    text: Text
    """Plain words for the client."""
    change: Literal["up", "same", "down"] | None = None
    """Progression rules only: how the running moves from the last plan's. For reduce/continue the
    weekly distance (up: ``running.review_step_up_pct`` more, never above the usual distance; down:
    ``running.reduce_to_pct`` of the last target), for walk_run the stage (one up, the same, one
    down from the stage the client reached)."""


ACTIONS = (
    "derive",
    "prescribe",
    "exclude",
    "refer",
    "limit",
    "precaution",
    "cue",
    "educate",
    "review_in_days",
    "progress",
    "running",
)


class _ActionBase(StrictModel):
    """One thing a rule does: a mapping with exactly one key (the kind of action)."""

    def kind(self) -> str:
        """Return the action's key."""
        return next(n for n in ACTIONS if n in type(self).model_fields)

    def __getattr__(self, name: str) -> Any:
        # The other kinds read as None, so ``action.refer is not None`` asks "is this a referral?".
        if name in ACTIONS:
            return None
        return super().__getattr__(name)  # type: ignore[misc]


class DeriveAction(_ActionBase):
    """Assert a derived fact."""

    derive: Derive
    """Assert a derived fact."""


class PrescribeAction(_ActionBase):
    """Add an exercise."""

    prescribe: Prescribe
    """Add an exercise."""


class ExcludeAction(_ActionBase):
    """Exclude exercises."""

    exclude: Exclude
    """Exclude exercises."""


class ReferAction(_ActionBase):
    """Refer out."""

    refer: Refer
    """Refer out."""


class LimitAction(_ActionBase):
    """Cap levels/doses."""

    limit: Limit
    """Cap levels/doses."""


class PrecautionAction(_ActionBase):
    """A precaution for client and clinician."""

    precaution: Text
    """A precaution for client and clinician."""


class CueAction(_ActionBase):
    """A running or movement cue."""

    cue: Text
    """A running or movement cue."""


class EducateAction(_ActionBase):
    """An education point."""

    educate: Text
    """An education point."""


class ReviewAction(_ActionBase):
    """See the client again within this many days."""

    review_in_days: Annotated[int, Range(1, 365)]
    """See the client again within this many days."""


class ProgressAction(_ActionBase):
    """Progression rules only."""

    progress: Progress
    """Progression rules only."""


class RunningAction(_ActionBase):
    """Set the plan's running section (assessment rules; progression rules at review)."""

    running: Running
    """Set the plan's running section (assessment rules; progression rules at review)."""


class _AnyAction(StrictModel):
    """Reports what is wrong with a mapping that is not exactly one known action (never valid)."""

    derive: Any = None
    prescribe: Any = None
    exclude: Any = None
    refer: Any = None
    limit: Any = None
    precaution: Any = None
    cue: Any = None
    educate: Any = None
    review_in_days: Any = None
    progress: Any = None
    running: Any = None

    @model_validator(mode="after")
    def _one(self) -> _AnyAction:
        _exactly_one(self, ACTIONS, "an action")
        return self


def _action_kind(value: Any) -> str:
    if isinstance(value, _ActionBase):
        return f"[{value.kind()}]"
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ACTIONS:
        return f"[{next(iter(value))}]"
    return "[invalid]"


Action = Annotated[
    Annotated[DeriveAction, Tag("[derive]")]
    | Annotated[PrescribeAction, Tag("[prescribe]")]
    | Annotated[ExcludeAction, Tag("[exclude]")]
    | Annotated[ReferAction, Tag("[refer]")]
    | Annotated[LimitAction, Tag("[limit]")]
    | Annotated[PrecautionAction, Tag("[precaution]")]
    | Annotated[CueAction, Tag("[cue]")]
    | Annotated[EducateAction, Tag("[educate]")]
    | Annotated[ReviewAction, Tag("[review_in_days]")]
    | Annotated[ProgressAction, Tag("[progress]")]
    | Annotated[RunningAction, Tag("[running]")]
    | Annotated[SkipJsonSchema[_AnyAction], Tag("[invalid]")],
    Discriminator(_action_kind),
]
"""One thing a rule does; exactly one key. The tags are bracketed so error positions skip them."""


class Rule(StrictModel):
    """One rule: when the condition matches, do the actions."""

    id: Slug
    """Unique id, kebab-case."""
    description: Text
    """What the rule does and why, for clinicians."""
    priority: Annotated[int, Range(0, 65534)] = 1000
    """Lower fires first and ranks first in the plan (0..65534)."""
    evidence: list[Slug] = Field(min_length=1)
    """Reference ids from rules/references.yaml."""
    when: When
    """The condition."""
    then: list[Action] = Field(min_length=1)
    """The actions."""


class RuleFile(StrictModel):
    """A file of rules."""

    version: Literal[1]
    """Format version; must be 1."""
    stage: Literal["assessment", "progression"] = "assessment"
    """assessment rules build a first plan; progression rules run at review."""
    rules: list[Rule] = Field(min_length=1)
    """The rules."""
