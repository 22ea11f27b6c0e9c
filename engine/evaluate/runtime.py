"""The only module that imports durable_rules: register compiled rulesets and evaluate facts.

Evaluation protocol: a host without timer threads; evaluations one at a time; facts staged one by
one with the low-level assert (no action runs yet), then a sink fact, then the agenda is run here
to the end through durable's C calls (``start_action_for_state`` → action →
``complete_and_start_action``): durable matches, chains and orders every firing; only its Python
glue (a JSON state round trip and two clock reads per firing) is left out.

Sessions: beginning a durable session allocates and clears match pools for every node of the
network (≈10 ms at 1,000 rules, ten times the evaluation itself), so one session serves
up to ``SESSION_EVALUATIONS`` evaluations. Each evaluation's facts carry its number, ``_j``; the compiler
joins every pattern after a rule's first to the first on ``_j`` (in flat conjunctions: durable
ignores a join after an ``$or``), so no rule ever matches facts of two evaluations. Facts are
never retracted: the session is deleted whole (``delete_state``) when it has served its share,
after any failure, and when its ruleset is unregistered.

Why not retract (the clean-up durable_rules offers for reusing a session): in durable_rules
2.0.28, retracting a fact that took part in a rule that already fired walks the fired rule's
spent match (``handleDeleteMessage`` → ``deleteActionFrame`` returns "dispatching" →
``deleteMessageFromFrame``). That function clears the fact's slot without lowering the match's
fact count, so retracting the second fact of a two-pattern match scans past the 16-slot array into
the neighbouring matches of the session's pool and zeroes whatever looks like that fact there.
Every firing of a rule with two or more patterns did this at clean-up; what it overwrote depended
on the pool's history and uninitialised memory, hence the rare, unrepeatable SIGSEGVs (issue 11).
``delete_state`` frees the session's pools without that walk. It is safe once an action has been
started in the session (before that, deleting frees uninitialised pointers; the sink guarantees
one), so a session in which none started is given a closing sink first, or is left alone if even
that fails.

Fact identity: durable_rules keys a session's facts by a 32-bit FNV hash of each fact's id and
compares only that hash: a fact whose id hashes like one already in the session is refused as "already
there" (a silent miss). Without an ``id`` field the id is a hash of the fact's content, so two
unrelated facts of the session (of one evaluation or, since a session serves many, of two) collide
about once in 2^32 pairs. Every fact sent therefore carries an ``id`` from :func:`_fact_id`: the
n-th fact of a session gets the n-th of a sequence of ids whose hashes are all different.

Numbers: durable_rules' JSON parser refuses exponents (``1e-05``, ``1e+16``) and non-finite
values, which Python writes for ordinary floats. Every message to the engine is therefore written
with positional numbers (``0.00001``); magnitudes are clamped to ±1e15 (rule literals are bounded
below that, so every comparison keeps its result) and NaN fields are left out (absent).

Runaways: each evaluation has a firing and a time budget counted in the actions; past it no
action derives anything more, the agenda drains, and the evaluation stops with an error naming
the rule that kept firing.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import select
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from json.encoder import _make_iterencode, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import durable_rules_engine
from durable import engine
from durable.engine import MessageNotHandledException, MessageObservedException

from engine.errors import Diagnostic, EvaluationError, RuleCompileError, RunawayError
from engine.evaluate.compiler import SINK, SINK_KIND, CompiledRuleset, pattern_kinds
from engine.models.firing import Firing

DeriveFn = Callable[[str, dict[str, dict[str, Any]]], list[dict[str, Any]]]
"""Given a rule id and its bound facts, return the facts the rule derives."""


NUMBER_BOUND = 1e15
"""Numbers beyond ±1e15 reach the engine as ±1e15 (rule literals must stay below it)."""
MAX_FIRINGS = 10_000
"""Firing budget of one evaluation (the shipped rules fire a few dozen times)."""
MAX_SECONDS = 10.0
"""Time budget of one evaluation, checked at every firing."""
SESSION_EVALUATIONS = 1024
SESSION_SLOTS = 16_000
"""A session is deleted and a new one begun once it has served SESSION_EVALUATIONS evaluations,
or once the facts sent to it could fill SESSION_SLOTS pattern places (a fact takes a place in every
pattern of its kind, and stays until the session goes: this bounds its memory, ~3 MiB). Beginning
and ending one costs ~10 ms at 1,000 rules (durable sets up match pools for every node), shared
by the evaluations it serves."""
LIVE_SESSIONS = 8
"""Live sessions kept at most, one per ruleset: beginning one more deletes the least recently used
(each holds pools for every node of its network, up to a few MiB, and a process that checks
edited rules, like the web desk, registers a new ruleset for every edit)."""


def _num_text(x: float) -> str:
    text = repr(x)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text


def _clean_numbers(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean_numbers(v) for k, v in obj.items() if not (isinstance(v, float) and math.isnan(v))}
    if isinstance(obj, list | tuple):
        return [_clean_numbers(v) for v in obj]
    is_num = isinstance(obj, float) or (isinstance(obj, int) and not isinstance(obj, bool))
    if is_num and (obj > NUMBER_BOUND or obj < -NUMBER_BOUND):
        return math.copysign(NUMBER_BOUND, obj)
    return obj


def _plain(obj: Any) -> bool:
    """True when the standard encoder already writes ``obj`` in a form durable parses: finite
    numbers within ±1e15 that ``repr`` writes without an exponent (0, or 1e-4 ≤ |x|)."""
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list | tuple) else (obj,)
    for v in values:
        t = type(v)
        if t is str or t is bool or v is None:
            continue
        if t is float:
            if not (v == 0.0 or 1e-4 <= abs(v) <= NUMBER_BOUND):  # NaN fails both
                return False
        elif t is int:
            if not -NUMBER_BOUND <= v <= NUMBER_BOUND:
                return False
        elif isinstance(v, dict | list | tuple):
            if not _plain(v):
                return False
        elif isinstance(v, float):
            if not (math.isfinite(v) and -NUMBER_BOUND <= v <= NUMBER_BOUND and "e" not in repr(v)):
                return False
        elif isinstance(v, int) and not isinstance(v, bool) and not -NUMBER_BOUND <= v <= NUMBER_BOUND:
            return False
    return True


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(obj, ensure_ascii=False)`` without making an encoder for every message."""
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__ (json.scanner)


def _decode(text: str) -> Any:
    """``json.loads`` of a message from the engine (a JSON object), minus its per-call wrapping."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:
        return json.loads(text)  # raises the usual error
    return value if end == len(text) else json.loads(text)


def engine_json(obj: Any) -> str:
    """Serialise a message for durable_rules: positional numbers only, bounded, no NaN."""
    if _plain(obj):
        return _ENCODE(obj)
    chunks = _make_iterencode({}, _refuse, encode_basestring, None, _num_text, ": ", ", ", False, False, False)(
        _clean_numbers(obj), 0
    )
    return "".join(chunks)


def _refuse(o: Any) -> Any:
    raise TypeError(f"cannot send {type(o).__name__} to the rules engine")


class _EngineJson:
    """Stands in for the ``json`` module inside durable.engine (its only serialiser)."""

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return engine_json(obj)


engine.json = _EngineJson


@dataclass
class _Session:
    """One evaluation: what it fired and derived (the engine session may serve many evaluations)."""

    j: float = 0.0
    """This evaluation's number within its engine session: every fact it sends carries it as ``_j``."""
    firings: list[Firing] = field(default_factory=list)
    seen: set[tuple[str, ...]] = field(default_factory=set)
    """(rule id, its aliases, the fid bound to each in alias order) of every firing."""
    errors: list[str] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)
    started: float = field(default_factory=time.monotonic)
    runaway: str | None = None
    derived: set[str] = field(default_factory=set)
    abandoned: bool = False
    originals: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Facts as given, by fid: their whole numbers went to the engine as floats."""
    shared: set[str] = field(default_factory=set)
    """Fids that more than one given fact carries (their matched facts are restored each time)."""
    restored: dict[str, dict[str, Any]] = field(default_factory=dict)
    live: _Live | None = None
    """The engine session this evaluation's facts go to."""

    def send(self, fact: dict[str, Any]) -> int:
        """Assert a fact of this evaluation in its session, as a message with numbers as floats,
        the session, the evaluation's number and a session-unique id; return the session's state
        offset, or 0 when no pattern names the fact's kind (then it is not sent), no rule takes it
        or an equal fact is there (raises on an engine error)."""
        live = self.live
        assert live is not None
        places = live.patterns.get(fact.get("kind"))  # type: ignore[arg-type]
        if not places:
            return 0
        live.slots += places
        out = _as_floats(fact)
        out["sid"], out["_j"], out["id"] = live.sid, self.j, _fact_id(live.sent)
        live.sent += 1
        code, offset = durable_rules_engine.assert_fact(live.handle, engine_json(out))
        return int(offset) if code == 0 else 0

    def fired(self) -> Counter[str]:
        """Firings so far by rule."""
        return Counter(key[0] for key in self.seen)

    def bound(self, matched: dict[str, Any]) -> dict[str, Any]:
        """A matched fact as actions see it (:func:`_restore`), made once per fact."""
        fid = matched.get("fid")
        if not isinstance(fid, str) or fid in self.shared:
            return _restore(matched, self.originals)
        out = self.restored.get(fid)
        if out is None:
            out = self.restored[fid] = _restore(matched, self.originals)
        return out


@dataclass
class _Live:
    """A durable session (``sid``) serving successive evaluations of one ruleset."""

    sid: str
    handle: int
    """The ruleset's engine handle."""
    patterns: dict[str, int]
    """How many of the ruleset's patterns name each fact kind (:func:`pattern_kinds`)."""
    served: int = 0
    slots: int = 0
    """Pattern places the facts sent to it could fill (each fact: the patterns of its kind)."""
    sent: int = 0
    """Facts asserted in it so far: the next one's id is ``_fact_id(sent)``."""
    started: bool = False
    """An action has been started in it: from then on ``delete_state`` is safe (module docstring)."""


Action = Callable[[dict[str, Any]], None]
"""A rule's action, given the matched facts by durable alias."""


class _SyncHost(engine.Host):  # type: ignore[misc]
    """durable Host without background timer threads: everything runs in the caller."""

    def _run(self) -> None:
        pass


class Runtime:
    """Registered rulesets in one host; evaluate fact lists against them (one at a time)."""

    def __init__(self) -> None:
        self._host = _SyncHost()
        self._actions: dict[str, dict[str, Action]] = {}
        self._live: dict[str, _Live] = {}
        self._names: set[str] = set()
        self._lock = threading.RLock()
        self._sids = itertools.count()
        self._current: _Session | None = None
        self._patterns: dict[str, dict[str, int]] = {}
        """Per ruleset: how many of its patterns name each fact kind (every pattern tests ``kind``)."""
        self.sessions_begun = 0
        """Engine sessions begun so far (each serves up to :data:`SESSION_EVALUATIONS` evaluations)."""
        self.leaked = 0
        """Sessions left undeleted because no action could run in them (see the module docstring)."""

    def register(self, compiled: CompiledRuleset, derive: DeriveFn) -> None:
        """Register a compiled ruleset once (same content → same name → no-op)."""
        with self._lock:
            if compiled.name in self._names:
                return
            definition = {dname: dict(body, run=_noop) for dname, body in copy.deepcopy(compiled.spec).items()}
            actions = {
                dname: self._action(compiled.rule_of[dname], compiled.aliases[dname], derive)
                for dname in compiled.spec
                if dname != SINK
            }
            try:
                self._host.register_rulesets({compiled.name: definition})
            except Exception as exc:  # durable raises bare Exception with an error code
                raise RuleCompileError.at(  # the rule set is at fault (exit 2), not the program
                    compiled.where or compiled.name,
                    f"the rules engine refused the compiled rules: {_reason(exc)}; run `rehab rules check`",
                    code="compile.engine_refused",
                ) from None
            self._actions[compiled.name] = actions
            self._patterns[compiled.name] = dict(pattern_kinds(compiled.spec))
            self._names.add(compiled.name)

    def unregister(self, name: str) -> None:
        """Drop a ruleset, its session and its C handle."""
        with self._lock:
            old = self._host._ruleset_directory.pop(name, None)
            if old is not None:
                self._retire(name)
                self._host._ruleset_list.remove(old)
                durable_rules_engine.delete_ruleset(old._handle)
            self._actions.pop(name, None)
            self._patterns.pop(name, None)
            self._names.discard(name)

    def _action(self, rule_id: str, aliases: tuple[tuple[str, str], ...], derive: DeriveFn) -> Action:
        by_alias = sorted({a for a, _ in aliases})
        names = " ".join(by_alias)  # the written aliases: DNF variants may bind different ones

        def action(matched: dict[str, Any]) -> None:
            session = self._current
            if session is None or session.runaway is not None or session.abandoned:
                return
            bound = session.bound
            bindings = {a: bound(matched[d]) for a, d in aliases}
            key = (rule_id, names, *[str(bindings[a].get("fid")) for a in by_alias])
            seen = session.seen
            if key in seen:  # DNF variants of one rule on the same facts (same alias binding)
                return
            seen.add(key)
            if len(seen) > MAX_FIRINGS or time.monotonic() - session.started > MAX_SECONDS:
                session.runaway = session.fired().most_common(1)[0][0]
                return
            try:
                new = derive(rule_id, bindings)
            except Exception as exc:  # surfaced after the run; never swallowed
                session.errors.append(f"{rule_id}: {exc!r}")
                return
            made = []
            for fact in new:
                sig = json.dumps(fact, sort_keys=True, default=str)
                if sig in session.derived:  # derived facts are a set: the same one again adds nothing
                    continue
                session.derived.add(sig)
                fact = dict(fact, fid=f"{fact['kind']}#{next(session.counter)}<{rule_id}")
                made.append(fact)
                session.originals[fact["fid"]] = fact
                session.send(fact)  # recorded in the firing whether or not a rule takes it
            session.firings.append(Firing(rule_id, bindings, tuple(made)))

        return action

    def evaluate(self, compiled: CompiledRuleset, facts: list[dict[str, Any]]) -> list[Firing]:
        """Run the agenda for these facts; return firings in firing order.

        The facts go into the ruleset's live session tagged with this evaluation's number
        (``_j``), which every join of the compiled rules requires to agree, so facts of earlier
        evaluations still in the session never match with these. Nothing is retracted (module
        docstring); the session is deleted whole once it has served its share (:data:`SESSION_SLOTS`) or
        after any failure, and a new one begun.

        Raises:
            EvaluationError: the engine failed or an action raised.
        """
        name = compiled.name
        session = _Session()
        live: _Live | None = None
        with self._lock:
            completed = False
            try:
                try:
                    live = self._live.get(name)
                    if live is None:
                        while len(self._live) >= LIVE_SESSIONS:
                            self._retire(next(iter(self._live)))
                        handle = self._host.get_ruleset(name)._handle
                        live = _Live(f"e{next(self._sids)}", handle, self._patterns[name])
                        self.sessions_begun += 1
                    else:
                        del self._live[name]
                    self._live[name] = live  # last: the most recently used
                    session.j, session.live = float(live.served), live
                    live.served += 1
                    self._current = session
                    for fact in facts:
                        if "fid" in fact:
                            fid = str(fact["fid"])
                            if fid in session.originals:
                                session.shared.add(fid)
                            session.originals[fid] = fact
                        session.send(fact)
                    offset = session.send({"kind": SINK_KIND})
                    self._agenda(offset, self._actions[name], live)
                    completed = True
                finally:
                    self._current = None
                    if not completed or session.errors or session.runaway or self._due(name):
                        self._retire(name)
            except Exception as exc:
                raise EvaluationError.at(compiled.where or name, f"rules engine failure: {_reason(exc)}") from None
        if session.runaway is not None:
            raise RunawayError.at(
                compiled.where or name,
                f"the rules stopped after {len(session.seen)} firings in "
                f"{time.monotonic() - session.started:.1f} s (budget {MAX_FIRINGS} firings, {MAX_SECONDS:g} s): "
                f"rule '{session.runaway}' kept firing ({session.fired()[session.runaway]} times); "
                "look for rules that derive each other's facts",
                path=f"rules.{session.runaway}",
                code="eval.runaway",
            )
        if session.errors:
            raise EvaluationError.at(compiled.where or name, "a rule action failed: " + "; ".join(session.errors))
        return session.firings

    @staticmethod
    def _agenda(offset: int, actions: dict[str, Action], live: _Live) -> None:
        """Run the session's agenda to the end: durable picks each next match (priority, then
        order), the action runs here, its derived facts are asserted, the match is completed."""
        if not offset:
            raise EvaluationError.at("rules", "the engine did not take the run marker")
        handle = live.handle
        result = durable_rules_engine.start_action_for_state(handle, offset)
        if result is None:
            return
        live.started = True
        messages = result[1]
        while messages:
            dname, matched = next(iter(_decode(messages).items()))  # as durable's own host reads it
            try:
                if dname != SINK:
                    actions[dname](matched)
            except BaseException:
                durable_rules_engine.abandon_action(handle, offset)
                raise
            messages = durable_rules_engine.complete_and_start_action(handle, offset)

    def _due(self, name: str) -> bool:
        live = self._live.get(name)
        return live is not None and (live.served >= SESSION_EVALUATIONS or live.slots >= SESSION_SLOTS)

    def _retire(self, name: str) -> None:
        """Delete the ruleset's live session; first run a closing marker in it if no action was
        ever started there (deleting it before would free garbage: module docstring)."""
        live = self._live.pop(name, None)
        if live is None:
            return
        if not live.started:
            closing = self._current = _Session(j=-1.0, abandoned=True, live=live)  # derives nothing
            try:
                offset = closing.send({"kind": SINK_KIND, "closing": 1})
                self._agenda(offset, self._actions.get(name, {}), live)
            except Exception:  # noqa: S110 - deleting now could free garbage: leave the session
                pass
            finally:
                self._current = None
        if live.started:
            durable_rules_engine.delete_state(live.handle, live.sid)
        else:
            self.leaked += 1


def _noop(c: Any) -> None:
    return None


_CODES = {
    "102": "a value the engine cannot use",
    "107": "too many 'exists: false' tests",
    "108": "too many joins on one condition",
    "113": "a condition too deeply nested",
    "202": "a number or value the engine cannot parse",
    "204": "a number the engine cannot parse",
    "302": "a fact with too many fields",
    "303": "too many tests true at once for one fact",
}


def _reason(exc: Any) -> str:
    """One line for a durable error or a swallowed action exception: never a traceback."""
    raw = str(exc)
    # a swallowed action exception arrives as one line: "exception caught <msg>, traceback ['  File ...']"
    raw = raw.split(", traceback [", 1)[0].removeprefix("exception caught ")
    lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("File ", "Traceback", "^", "~"))]
    text = lines[-1] if lines else type(exc).__name__
    code = text.rsplit("error code: ", 1)[-1] if "error code: " in text else ""
    if code in _CODES:
        text = f"{_CODES[code]} (engine error {code})"
    return text[:300]


_SKIP = frozenset({"sid", "id", "$s", "_j"})


def _as_floats(fact: dict[str, Any]) -> dict[str, Any]:
    """Every number as a float, -0.0 as 0.0: durable_rules never joins an int with an equal float
    (3 and 3.0) nor -0.0 with 0, while the rule language compares numbers by value."""
    out = dict(fact)
    for k, v in fact.items():
        t = type(v)
        if t is str:
            continue
        if t is float:
            if v == 0.0:  # -0.0 (and 0.0)
                out[k] = 0.0
        elif t is int or (t is not bool and isinstance(v, int | float) and not isinstance(v, bool)):
            out[k] = float(v) + 0.0
    return out


def _restore(matched: dict[str, Any], originals: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A matched fact as the action sees it: engine keys dropped, whole numbers whole again."""
    orig = originals.get(str(matched.get("fid")), {})
    out = {}
    for k, v in matched.items():
        if k in _SKIP:
            continue
        was = orig.get(k)
        out[k] = was if isinstance(was, int) and not isinstance(was, bool) and was == v else v
    return out


def _fnv32(text: str) -> int:
    """durable_rules' ``fnv1Hash32`` (FNV-1a, 32 bits) of a fact id."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


_IDS: list[str] = []
_ID_HASHES: set[int] = {0}  # a zero hash marks an empty slot in durable's match frames
_ID_LOCK = threading.Lock()


def _fact_id(n: int) -> str:
    """The id of the n-th fact of an engine session: ids whose durable hashes all differ (module
    docstring), the first ones found among "0", "1", "2", … (made once per process, as needed)."""
    if n < len(_IDS):
        return _IDS[n]
    with _ID_LOCK:
        candidate = int(_IDS[-1]) + 1 if _IDS else 0
        while len(_IDS) <= n:
            text = str(candidate)
            h = _fnv32(text)
            if h not in _ID_HASHES:
                _ID_HASHES.add(h)
                _IDS.append(text)
            candidate += 1
    return _IDS[n]


_RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    """Return the process-wide runtime (one durable host per process)."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime()
    return _RUNTIME


__all__ = ["Firing", "Runtime", "runtime"]


PROBE_SECONDS = 20.0


def _probe_facts(spec: dict[str, dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Facts that make many tests true at once: per kind, every field at or past its extremes."""
    values: dict[str, dict[str, list[Any]]] = {}

    def walk(kind: str, cond: Any) -> None:
        if isinstance(cond, dict):
            for k, v in cond.items():
                if k in ("$and", "$or"):
                    for c in v:
                        walk(kind, c)
                elif k.startswith("$"):
                    walk(kind, v)
                elif k != "kind" and not isinstance(v, dict):
                    values.setdefault(kind, {}).setdefault(k, []).append(v)

    for body in spec.values():
        for pattern in body["all"]:
            (cond,) = pattern.values()
            tests = cond.get("$and", [cond])
            kind = next((t["kind"] for t in tests if "kind" in t), None)
            if isinstance(kind, str) and kind != SINK_KIND:
                values.setdefault(kind, {})
                for t in tests:
                    walk(kind, t)
    sets: list[list[dict[str, Any]]] = []
    for variant in range(3):
        facts = []
        for kind, fields in sorted(values.items()):
            fact: dict[str, Any] = {"kind": kind, "fid": f"probe-{kind}-{variant}", "side": "left", "_j": 1}
            for name, vals in fields.items():
                nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
                words = [v for v in vals if isinstance(v, str)]
                if variant == 0 and nums:
                    fact[name] = max(nums) + 1
                elif variant == 1 and nums:
                    fact[name] = min(nums) - 1
                elif words:
                    fact[name] = words[variant % len(words)]
                elif any(isinstance(v, bool) for v in vals):
                    fact[name] = variant != 1
                elif nums:
                    fact[name] = nums[0]
            facts.append(fact)
        sets.append(facts)
    return sets


def _probe_child(compiled: CompiledRuleset) -> str:
    rt = Runtime()
    try:
        rt.register(compiled, lambda rule_id, bindings: [])
        for facts in _probe_facts(compiled.spec):
            name = compiled.name
            sid = f"probe{next(rt._sids)}"
            ruleset = rt._host.get_ruleset(name)
            for fact in facts:
                try:
                    ruleset.assert_fact(dict(fact, sid=sid))
                except (MessageNotHandledException, MessageObservedException):
                    pass
                except Exception as exc:
                    return f"a '{fact['kind']}' fact: {_reason(exc)}"
            state = rt._host.assert_fact(name, {"sid": sid, "kind": SINK_KIND})
            if state and "exception" in state:
                return _reason(state["exception"])
    except EvaluationError as exc:
        return exc.diagnostics[0].message
    except Exception as exc:
        return _reason(exc)
    return ""


def probe(compiled: CompiledRuleset, where: str, timeout: float = PROBE_SECONDS) -> list[Diagnostic]:
    """Register the compiled rules in a scratch process and evaluate probe facts there.

    Anything the engine refuses (at registration or on a fact) or a hang becomes an error
    diagnostic, so that `rules check` accepts only what plans can run.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 0
        try:
            os.close(read)
            os.write(write, _probe_child(compiled).encode()[:4000])
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    hung = False
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([read], [], [], max(left, 0))
        if not ready:
            hung = True
            break
        chunk = os.read(read, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read)
    if hung:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    message = b"".join(chunks).decode(errors="replace")
    if hung:
        message = f"the rules engine did not finish registering and evaluating these rules in {timeout:g} s"
    elif os.WIFSIGNALED(status) or (os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0):
        message = message or "the rules engine crashed on these rules"
    if not message:
        return []
    return [
        Diagnostic(
            where,
            code="compile.engine_probe",
            message=f"durable_rules refuses these rules: {message}; simplify the rules named above or split them",
        )
    ]


def limit_warnings(compiled: CompiledRuleset, where: str) -> list[Diagnostic]:
    """Register the compiled rules with durable_rules in a scratch process and run probe
    evaluations: whatever the engine refuses, or any hang, is an error here (``rules check``)."""
    return probe(compiled, where)
