"""One engine session serves many evaluations (issue 15): an adversarial review of that reuse.

The runtime keeps up to ``SESSION_EVALUATIONS`` evaluations' facts (fewer: ``SESSION_SLOTS``) in one durable session, tags
each evaluation's facts with its number ``_j`` and joins every later pattern to the first on it.
Whatever ran in the session before (other facts, failures, a runaway, an interrupt), an
evaluation must give exactly the firings a brand-new runtime gives for the same facts, and those
the reference evaluator (tests/reference.py) gives.

Crash-prone loops (thousands of evaluations, fork) run in a subprocess, so that a SIGSEGV of
durable_rules' C core shows as a failure, not as a dead test runner.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import EvaluationError, RuleCompileError, RunawayError
from engine.evaluate import runtime as rtmod
from engine.evaluate.compiler import CompiledRuleset, compile_rules
from engine.evaluate.runtime import Runtime, probe
from engine.load.content import derive_fn
from engine.models.firing import Firing
from engine.models.rule import Rule, RuleFile
from tests.conftest import ROOT
from tests.reference import binding_key
from tests.reference import evaluate as reference
from tests.test_differential import fact, rulesets, side_v
from tests.test_handout_truth import assessments

EXAMPLES = int(os.environ.get("REHAB_REUSE_EXAMPLES", "80"))
"""Examples of the property test (REHAB_REUSE_EXAMPLES=2000 for a large run)."""

# ---------------------------------------------------------------------------------------------
# helpers


def _compile(rules: list[dict[str, Any]], name: str) -> tuple[list[Rule], CompiledRuleset]:
    doc = RuleFile.model_validate({"version": 1, "rules": rules})
    return list(doc.rules), compile_rules(doc.rules, name)


def _rule(
    rid: str, when: dict[str, Any], then: list[dict[str, Any]] | None = None, priority: int = 0
) -> dict[str, Any]:
    return {
        "id": rid,
        "description": "t",
        "evidence": ["x"],
        "priority": priority,
        "when": when,
        "then": then or [{"cue": "c"}],
    }


Outcome = tuple[str, Any]


def _outcome(rt: Runtime, compiled: CompiledRuleset, facts: list[dict[str, Any]]) -> Outcome:
    """What an evaluation gave: its firings, or the kind of failure."""
    try:
        return ("ok", rt.evaluate(compiled, facts))
    except RunawayError:
        return ("runaway", None)
    except EvaluationError as exc:
        return ("error", exc.diagnostics[0].message.split(":")[0])
    except KeyboardInterrupt:
        return ("interrupt", None)


def _fresh(compiled: CompiledRuleset, derive: Any, facts: list[dict[str, Any]]) -> Outcome:
    """The same facts in a brand-new runtime (its ruleset freed after)."""
    rt = Runtime()
    rt.register(compiled, derive)
    try:
        return _outcome(rt, compiled, facts)
    finally:
        rt.unregister(compiled.name)


def _keys(firings: list[Firing]) -> set[tuple[str, tuple[Any, ...]]]:
    return {(f.rule, binding_key(f.bindings)) for f in firings}


@contextmanager
def _registered(compiled: CompiledRuleset, derive: Any) -> Iterator[Runtime]:
    rt = Runtime()
    rt.register(compiled, derive)
    try:
        yield rt
    finally:
        rt.unregister(compiled.name)


def _in_subprocess(code: str, timeout: float = 300) -> str:
    """Run ``code`` in a fresh interpreter at the repository root; fail on any non-zero exit or
    signal (a SIGSEGV shows as -11); return its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


# ---------------------------------------------------------------------------------------------
# 1. property: a sequence of evaluations in one runtime, with failures in between


class _Trap:
    """A derive callback that, when armed, raises at its n-th call of the next evaluation."""

    def __init__(self, derive: Callable[[str, dict[str, dict[str, Any]]], list[dict[str, Any]]]) -> None:
        self.derive = derive
        self.raise_at: int | None = None
        self.error: type[BaseException] = RuntimeError
        self.calls = 0

    def arm(self, at: int | None, error: type[BaseException] = RuntimeError) -> None:
        self.raise_at, self.error, self.calls = at, error, 0

    def __call__(self, rule_id: str, bindings: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        self.calls += 1
        if self.raise_at is not None and self.calls >= self.raise_at:
            raise self.error("trap")
        return self.derive(rule_id, bindings)


@st.composite
def fact_list(draw: Any) -> list[dict[str, Any]]:
    """Facts of one evaluation: fids unique within it, repeating across evaluations; sometimes a
    given fact of the derived kind ``d`` (equal to what a rule derives but for ``derived_by``)."""
    facts = [draw(fact("a", i)) for i in range(draw(st.integers(0, 3)))]
    facts += [draw(fact("b", i)) for i in range(draw(st.integers(0, 2)))]
    facts += [draw(fact("assessment", 0)) for _ in range(draw(st.integers(0, 1)))]
    if draw(st.integers(0, 4)) == 0:
        facts.append({"kind": "d", "fid": "d0", "side": draw(side_v), "g": draw(st.sampled_from(["x", "y", "z"]))})
    return list(draw(st.permutations(facts)))


STEP_KINDS = ["ok"] * 6 + ["wide", "unsendable", "raise", "interrupt", "runaway"]


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    pool = draw(st.lists(fact_list(), min_size=1, max_size=5))
    recycle = draw(st.sampled_from([1, 2, 3, 5, 64]))
    n = 68 if recycle == 64 else draw(st.integers(3, 14))
    steps = [
        (draw(st.sampled_from(STEP_KINDS)), draw(st.integers(0, len(pool) - 1)), draw(st.integers(1, 3)))
        for _ in range(n)
    ]
    return {"rules": draw(rulesets()), "pool": pool, "recycle": recycle, "steps": steps}


def _step_facts(kind: str, facts: list[dict[str, Any]], arg: int) -> list[dict[str, Any]]:
    """The facts of a step: refused ones put in the middle (some facts already staged)."""
    at = min(arg, len(facts))
    if kind == "wide":  # 300 fields: durable refuses it (error 302) after the facts before it
        return [*facts[:at], {"kind": "a", "fid": "wide", **{f"w{i}": i for i in range(300)}}, *facts[at:]]
    if kind == "unsendable":  # not JSON: refused before it reaches the engine
        return [*facts[:at], {"kind": "a", "fid": "odd", "n": object()}, *facts[at:]]
    return facts


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
@given(case=scenarios())
def test_every_evaluation_of_a_reused_session_is_the_one_a_fresh_runtime_gives(case: dict[str, Any]) -> None:
    try:
        rules, compiled = _compile(case["rules"], "reuse")
    except RuleCompileError:
        return
    if probe(compiled, "reuse"):  # `rules check` refuses it
        return
    trap = _Trap(derive_fn({r.id: r for r in rules}))
    with pytest.MonkeyPatch.context() as mp, _registered(compiled, trap) as rt:
        mp.setattr(rtmod, "SESSION_EVALUATIONS", case["recycle"])
        for n, (kind, which, arg) in enumerate(case["steps"]):
            facts = _step_facts(kind, case["pool"][which], arg)
            budget = arg if kind == "runaway" else rtmod.MAX_FIRINGS
            error: type[BaseException] = KeyboardInterrupt if kind == "interrupt" else RuntimeError
            mp.setattr(rtmod, "MAX_FIRINGS", budget)
            trap.arm(arg if kind in ("raise", "interrupt") else None, error)
            got = _outcome(rt, compiled, facts)
            trap.arm(arg if kind in ("raise", "interrupt") else None, error)
            want = _fresh(compiled, trap, facts)
            mp.setattr(rtmod, "MAX_FIRINGS", 10_000)
            assert got == want, f"step {n} ({kind}) facts={facts}\nreused={got}\nfresh={want}"
            if got[0] == "ok" and kind in ("ok", "raise", "interrupt", "runaway"):
                assert _keys(got[1]) == reference(rules, facts), f"step {n}: facts={facts}"
        trap.arm(None)
        for facts in case["pool"]:  # after everything, each fact list once more, as the reference says
            assert _keys(rt.evaluate(compiled, facts)) == reference(rules, facts)
        assert rt.leaked == 0


# ---------------------------------------------------------------------------------------------
# 2. hostile cases by hand

ONE = [_rule("one", {"fact": "a", "where": {"field": "side", "eq": "left"}})]
PAIR = [
    _rule(
        "pair",
        {
            "all": [
                {"fact": "a", "as": "p"},
                {"fact": "a", "as": "q", "where": {"field": "side", "eq": {"ref": "p.side"}}},
            ]
        },
    )
]

# durable_rules keys a session's facts by a 32-bit hash of a 64-bit hash of their content
# (calculateId, then fnv1Hash32 of "$" and its first 19 digits) and compares only the 32 bits:
# these facts collide (found by a birthday search with the replica below; sid "e0" is the first
# session of a new Runtime). Without an id of the runtime's own, the second was refused as a
# duplicate of the first: a silent miss, across evaluations of one session (new with issue 15)
# as well as within one evaluation.
ACROSS = ({"kind": "a", "fid": "a70954", "side": "left"}, {"kind": "a", "fid": "a23701", "side": "left"})
WITHIN = ({"kind": "a", "fid": "a53912", "side": "left"}, {"kind": "a", "fid": "a73416", "side": "left"})


def _content_slot(message: dict[str, Any]) -> int:
    """durable_rules 2.0.28's message-index hash of a fact without an ``id`` (state.c calculateId)."""

    def fnv32(data: bytes) -> int:
        h = 0x811C9DC5
        for c in data:
            h = ((h ^ c) * 16777619) & 0xFFFFFFFF
        return h

    h = 0xCBF29CE484222325
    for name_hash, text in sorted(
        (fnv32(k.encode()), v if isinstance(v, str) else json.dumps(v)) for k, v in message.items()
    ):
        h = ((h ^ name_hash) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        for c in text.encode():
            h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return fnv32(f"${h:020d}"[:20].encode())


def test_the_colliding_facts_do_collide_by_content() -> None:
    def msg(f: dict[str, Any], j: float) -> dict[str, Any]:
        return dict(f, sid="e0", _j=j)

    assert _content_slot(msg(ACROSS[0], 0.0)) == _content_slot(msg(ACROSS[1], 1.0))
    assert _content_slot(msg(WITHIN[0], 0.0)) == _content_slot(msg(WITHIN[1], 0.0))
    assert _content_slot(msg(ACROSS[0], 0.0)) != _content_slot(msg(ACROSS[1], 0.0))


def test_a_fact_whose_engine_hash_equals_an_earlier_evaluations_fact_still_fires() -> None:
    rules, compiled = _compile(ONE, "collide-across")
    with _registered(compiled, derive_fn({r.id: r for r in rules})) as rt:
        assert [f.bindings["a"]["fid"] for f in rt.evaluate(compiled, [ACROSS[0]])] == ["a70954"]
        assert [f.bindings["a"]["fid"] for f in rt.evaluate(compiled, [ACROSS[1]])] == ["a23701"]


def test_two_facts_of_one_evaluation_with_equal_engine_hashes_both_fire() -> None:
    rules, compiled = _compile(ONE, "collide-within")
    with _registered(compiled, derive_fn({r.id: r for r in rules})) as rt:
        fired = rt.evaluate(compiled, list(WITHIN))
        assert sorted(f.bindings["a"]["fid"] for f in fired) == ["a53912", "a73416"]


def test_the_fact_ids_of_a_session_all_hash_differently() -> None:
    ids = [rtmod._fact_id(n) for n in range(60_000)]  # "797186" and "40189" collide: one is skipped
    assert len({rtmod._fnv32(i) for i in ids}) == len(ids) and 0 not in {rtmod._fnv32(i) for i in ids}


def test_one_clients_plan_never_loses_a_rule_to_the_client_planned_before(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collision through real assessments: the ITB example with cadence 150.23772 spm, then with
    150.01209 spm, in the first session of a process (sid e0, evaluations 0 and 1). Their cadence
    facts collide in durable's index, so on 89f5e64 the second client's cadence fact was refused and
    'cad-low-step-rate' (its cue, evidence and trace) silently left out of that client's plan."""
    from engine.load.content import load_content
    from engine.plan.pipeline import evaluate, load_assessment, prepare

    content = load_content()
    text = (ROOT / "examples" / "itbs-unilateral-right-drop.yaml").read_text()
    assert "cadence_spm: 166\n" in text
    paths = []
    for name, spm in (("a", "150.23772"), ("b", "150.01209")):
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(text.replace("cadence_spm: 166\n", f"cadence_spm: {spm}\n"))
    a, b = (load_assessment(p) for p in paths)
    cadence = [next(f for f in prepare(x, content.thresholds).facts if f["kind"] == "cadence") for x in (a, b)]
    slots = [_content_slot(dict(rtmod._as_floats(f), sid="e0", _j=float(j))) for j, f in enumerate(cadence)]
    assert slots[0] == slots[1]  # still a collision by content (the reproducer holds)
    alone = evaluate(content, b).plan
    monkeypatch.setattr(rtmod, "_RUNTIME", None)  # a new process-wide runtime: its first session is e0
    try:
        evaluate(content, a)
        after = evaluate(content, b).plan
        assert rtmod.runtime()._live[content.compiled["assessment"].name].sid == "e0"
    finally:
        for compiled in content.compiled.values():
            rtmod.runtime().unregister(compiled.name)
    assert "cad-low-step-rate" in repr(alone)
    assert repr(after) == repr(alone)


CHAIN = [
    _rule(
        "make",
        {"fact": "a", "as": "p", "where": {"field": "n", "gt": 5}},
        [{"derive": {"fact": "d", "set": {"side": {"from": "p.side"}, "g": "x"}}}],
        priority=1,
    ),
    _rule("use", {"fact": "d", "as": "d"}),
    _rule(
        "join",
        {
            "all": [
                {"fact": "d", "as": "d"},
                {"fact": "b", "as": "q", "where": {"field": "side", "eq": {"ref": "d.side"}}},
            ]
        },
    ),
    _rule(
        "two",
        {
            "all": [
                {"fact": "assessment", "as": "x", "where": {"field": "g", "eq": "x"}},
                {"fact": "assessment", "as": "y", "where": {"field": "n", "gte": 0}},
            ]
        },
    ),
]
HOSTILE: list[list[dict[str, Any]]] = [
    [{"kind": "a", "fid": "a", "n": 9, "side": "left"}, {"kind": "b", "fid": "b", "side": "left"}],
    [{"kind": "a", "fid": "a", "n": 9, "side": "left"}, {"kind": "b", "fid": "b", "side": "left"}],  # the same again
    [{"kind": "b", "fid": "b", "side": "left"}],  # only the previous evaluation derived a d
    [
        {"kind": "b", "fid": "b", "side": "left"},
        {"kind": "d", "fid": "a", "side": "left", "g": "x"},
    ],  # d given, fid of an a
    [{"kind": "a", "fid": "a", "n": 10**17, "side": "right"}, {"kind": "b", "fid": "a", "side": "right"}],
    [
        {"kind": "a", "fid": "a", "n": float("nan"), "side": "left"},
        {"kind": "a", "fid": "a2", "n": -0.0, "side": "left"},
    ],
    [{"kind": "a", "fid": "a", "n": 6, "side": "left"}, {"kind": "a", "fid": "a2", "n": 6.0, "side": "left"}],
    [{"kind": "a", "fid": "a", "n": float("inf"), "side": "left"}, {"kind": "b", "fid": "b", "side": "left"}],
    [{"kind": "assessment", "fid": "assessment", "g": "x", "n": 0}],
    [{"kind": "assessment", "fid": "assessment", "g": "x", "n": -0.0}, {"kind": "b", "fid": "b", "side": "left"}],
    [{"kind": "assessment", "fid": "assessment", "g": "y", "n": 3}],
    [],
]


def test_hostile_fact_lists_in_sequence_give_what_a_fresh_runtime_and_the_reference_give() -> None:
    rules, compiled = _compile(CHAIN, "hostile")
    derive = derive_fn({r.id: r for r in rules})
    with pytest.MonkeyPatch.context() as mp, _registered(compiled, derive) as rt:
        mp.setattr(rtmod, "SESSION_EVALUATIONS", 5)  # the recycle point falls inside the list, twice
        for _ in range(3):
            for facts in HOSTILE:
                got = _outcome(rt, compiled, facts)
                assert got == _fresh(compiled, derive, facts), facts
                assert got[0] == "ok" and _keys(got[1]) == reference(rules, facts), facts


def test_reserved_fields_in_given_facts_change_nothing() -> None:
    """``_j``, ``sid`` and ``id`` in a given fact are the runtime's: facts that carry them (even the
    values another evaluation's facts have) fire as the same facts without them."""
    rules, compiled = _compile(CHAIN, "reserved")
    derive = derive_fn({r.id: r for r in rules})
    plain = [{"kind": "a", "fid": "a", "n": 9, "side": "left"}, {"kind": "b", "fid": "b", "side": "left"}]
    with _registered(compiled, derive) as rt:
        want = [f.rule for f in rt.evaluate(compiled, plain)]
        assert want == ["use", "join", "make"] or sorted(want) == ["join", "make", "use"]
        for extra in (
            {"_j": 0.0},
            {"_j": 1.0},
            {"sid": "e0"},
            {"sid": "other"},
            {"id": "0"},
            {"id": 1},
            {"_j": -1.0, "id": "2", "sid": "e0"},
        ):
            got = rt.evaluate(compiled, [dict(f, **extra) for f in plain])
            assert [f.rule for f in got] == want, extra


def test_duplicate_given_facts_bind_as_the_reference_says() -> None:
    """The same fact twice in one list (same fid, same fields): two facts for the reference, so the
    pair rule binds them together; a single-pattern rule fires once per fid."""
    rules, compiled = _compile(PAIR + ONE, "dupes")
    derive = derive_fn({r.id: r for r in rules})
    twice = [{"kind": "a", "fid": "a", "side": "left"}] * 2
    with _registered(compiled, derive) as rt:
        for _ in range(3):
            assert _keys(rt.evaluate(compiled, twice)) == reference(rules, twice)


def test_a_user_fact_like_the_run_marker_is_no_marker() -> None:
    rules, compiled = _compile(ONE, "marker")
    with _registered(compiled, derive_fn({r.id: r for r in rules})) as rt:
        for _ in range(3):
            fired = rt.evaluate(compiled, [{"kind": "__run__"}, {"kind": "a", "fid": "a", "side": "left"}])
            assert [f.rule for f in fired] == ["one"]


def test_keyboard_interrupt_inside_an_action_then_every_evaluation_is_right() -> None:
    rules, compiled = _compile(CHAIN, "interrupt")
    base = derive_fn({r.id: r for r in rules})
    trap = _Trap(base)
    facts = HOSTILE[0]
    with _registered(compiled, trap) as rt:
        want = rt.evaluate(compiled, facts)
        for at in (1, 2, 3, 1):
            trap.arm(at, KeyboardInterrupt)
            with pytest.raises(KeyboardInterrupt):
                rt.evaluate(compiled, facts)
            trap.arm(None)
            assert rt._current is None
            for _ in range(3):
                assert rt.evaluate(compiled, facts) == want
        assert rt.leaked == 0


@pytest.mark.parametrize("at", [1, 2, 3, 4])
def test_keyboard_interrupt_while_facts_are_staged_then_every_evaluation_is_right(at: int) -> None:
    """Ctrl-C between two facts sent (first evaluation of a session: no action started in it yet,
    so it gets a closing marker before it is deleted; or a later one)."""
    rules, compiled = _compile(CHAIN, f"stage-interrupt{at}")
    facts = HOSTILE[0]
    calls = {"n": 0}
    real = rtmod._as_floats

    def flaky(fact: dict[str, Any]) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == at:
            raise KeyboardInterrupt
        return real(fact)

    with pytest.MonkeyPatch.context() as mp, _registered(compiled, derive_fn({r.id: r for r in rules})) as rt:
        want = _fresh(compiled, derive_fn({r.id: r for r in rules}), facts)
        for first in (True, False):
            if not first:
                assert rt.evaluate(compiled, facts) == want[1]  # the interrupt comes in a used session
            calls["n"] = 0
            mp.setattr(rtmod, "_as_floats", flaky)
            with pytest.raises(KeyboardInterrupt):
                rt.evaluate(compiled, facts)
            mp.setattr(rtmod, "_as_floats", real)
            for _ in range(3):
                assert rt.evaluate(compiled, facts) == want[1]
        assert rt.leaked == 0 and rt._current is None


def test_threads_evaluating_at_once_get_their_own_results() -> None:
    rules, compiled = _compile(CHAIN, "threads")
    derive = derive_fn({r.id: r for r in rules})
    lists = [HOSTILE[i] for i in (0, 2, 3, 4, 6, 8, 9)]
    with _registered(compiled, derive) as rt:
        want = [rt.evaluate(compiled, facts) for facts in lists]
        problems: list[str] = []

        def work(k: int) -> None:
            try:
                for n in range(150):
                    i = (n * 7 + k) % len(lists)
                    got = rt.evaluate(compiled, lists[i])
                    if got != want[i]:
                        problems.append(f"thread {k} run {n}: {got} != {want[i]}")
            except BaseException as exc:  # reported below
                problems.append(f"thread {k}: {exc!r}")

        _in_threads(work, 4, 60)
        assert problems == []


def _in_threads(work: Callable[[int], None], n: int, timeout: float) -> None:
    """Run ``work(0)`` … ``work(n - 1)`` in threads at once; all must end within ``timeout`` s."""
    threads = [threading.Thread(target=work, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads)


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
@given(data=st.lists(assessments(), min_size=70, max_size=70))
def test_the_shipped_rules_on_generated_assessments_fire_in_a_reused_session_as_in_a_fresh_one(
    data: list[dict[str, Any]],
) -> None:
    """70 generated assessments one after another (past the 64th evaluation of a session) give,
    each, the firings (rule, bindings, derived facts, in order) of a brand-new runtime."""
    import yaml

    from engine.load.content import load_content
    from engine.plan.pipeline import parse_assessment, prepare

    content = load_content()
    compiled = content.compiled["assessment"]
    derive = derive_fn(content.rules())
    with pytest.MonkeyPatch.context() as mp, _registered(compiled, derive) as rt:
        mp.setattr(rtmod, "SESSION_EVALUATIONS", 64)  # the recycle point falls inside the list
        for n, raw in enumerate(data):
            facts = prepare(parse_assessment(yaml.safe_dump(raw, allow_unicode=True)), content.thresholds).facts
            assert _outcome(rt, compiled, facts) == _fresh(compiled, derive, facts), f"assessment {n}: {raw}"
        assert rt.sessions_begun == 2


def test_threads_planning_the_examples_at_once_get_the_plans_of_a_serial_run() -> None:
    """The web desk plans in request threads: the shipped rules, every example, four threads."""
    from engine.load.content import load_content
    from engine.plan.pipeline import evaluate, load_assessment

    content = load_content()
    cases = [load_assessment(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    want = [repr(evaluate(content, a).plan) for a in cases]
    problems: list[str] = []

    def work(k: int) -> None:
        try:
            for n in range(3 * len(cases)):
                i = (n * 5 + k) % len(cases)
                if repr(evaluate(content, cases[i]).plan) != want[i]:
                    problems.append(f"thread {k}: example {i} planned differently")
        except BaseException as exc:  # reported below
            problems.append(f"thread {k}: {exc!r}")

    _in_threads(work, 4, 120)
    assert problems == []


def test_live_sessions_are_bounded_whatever_the_number_of_rulesets() -> None:
    """A process that checks edited rules registers a ruleset per edit; each keeps its session
    (~4 MiB for the shipped rules) only while among the LIVE_SESSIONS most recently used."""
    rt = Runtime()
    done: list[tuple[CompiledRuleset, str]] = []
    facts = [{"kind": "a", "fid": "a", "side": "left", "n": 1}]
    try:
        for k in range(rtmod.LIVE_SESSIONS + 4):
            rules, compiled = _compile(
                [*ONE, _rule("other", {"fact": "a", "where": {"field": "n", "eq": k}})], f"many{k}"
            )
            rt.register(compiled, derive_fn({r.id: r for r in rules}))
            assert [f.rule for f in rt.evaluate(compiled, facts)] == (["one", "other"] if k == 1 else ["one"])
            done.append((compiled, rt._live[compiled.name].sid))
            assert len(rt._live) <= rtmod.LIVE_SESSIONS
        for compiled, sid in done[:4]:  # the least recently used were deleted
            assert compiled.name not in rt._live
            with pytest.raises(Exception, match="error code: 309"):
                rt._host.get_ruleset(compiled.name).get_facts(sid)
        for compiled, _ in done:  # and each ruleset still evaluates as before
            assert "one" in [f.rule for f in rt.evaluate(compiled, facts)]
        assert rt.leaked == 0
    finally:
        for compiled, _ in done:
            rt.unregister(compiled.name)


FORK = """
import os, sys
from tests.test_session_reuse import CHAIN, HOSTILE, _compile
from engine.evaluate.runtime import runtime
from engine.load.content import derive_fn
rules, compiled = _compile(CHAIN, "fork")
rt = runtime()
rt.register(compiled, derive_fn({r.id: r for r in rules}))
want = [rt.evaluate(compiled, f) for f in HOSTILE]
for _ in range(30):  # a session part-used when the fork comes
    rt.evaluate(compiled, HOSTILE[0])
pids = []
for child in range(2):
    pid = os.fork()
    if pid == 0:
        ok = all(rt.evaluate(compiled, f) == w for _ in range(50) for f, w in zip(HOSTILE, want))
        os._exit(0 if ok else 3)
    pids.append(pid)
ok = all(rt.evaluate(compiled, f) == w for _ in range(50) for f, w in zip(HOSTILE, want))
codes = [os.waitpid(p, 0)[1] for p in pids]
print(ok, codes)
sys.exit(0 if ok and codes == [0, 0] else 1)
"""


def test_fork_after_some_evaluations_then_evaluate_in_parent_and_children() -> None:
    assert _in_subprocess(FORK).split() == ["True", "[0,", "0]"]


# ---------------------------------------------------------------------------------------------
# 3. memory: the shipped rules on every example, thousands of times

MEMORY = """
import glob, resource, sys
from engine.load.content import load_content
from engine.plan.pipeline import evaluate, load_assessment
from engine.evaluate.runtime import runtime
content = load_content()
cases = [load_assessment(p) for p in sorted(glob.glob("examples/*.yaml"))]
first = [repr(evaluate(content, a).plan) for a in cases]
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
n, samples = 0, []
while n < RUNS:
    for i, a in enumerate(cases):
        assert repr(evaluate(content, a).plan) == first[i], (n, i)
        n += 1
    if n % 1000 < len(cases):
        samples.append(rss())
print(n, runtime().sessions_begun, runtime().leaked, " ".join(f"{s:.1f}" for s in samples))
"""


@pytest.mark.slow  # 13 s: 5,000 plans (`make test`; `make test-fast` leaves it out)
def test_rss_stays_flat_over_thousands_of_evaluations_of_the_shipped_rules() -> None:
    runs = 5000
    n, begun, leaked, *samples = _in_subprocess(MEMORY.replace("RUNS", str(runs))).split()
    mib = [float(s) for s in samples]
    assert int(n) >= runs and int(leaked) == 0 and int(begun) >= int(n) // 64
    # after the first thousand (caches, pools at their size), growth stays under 3 MiB
    assert mib[-1] - mib[0] < 3.0, mib
