"""The only module that imports durable_rules: register compiled rulesets and evaluate facts.

Evaluation protocol (DURABLE.md §10.7): a host without timer threads; one reused session per
thread whose facts are all retracted after each evaluation; facts staged one by one with the
low-level assert (no action runs yet); one sink fact through the host runs the whole agenda
synchronously; exceptions that durable_rules swallows into the session state are raised.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import durable_rules_engine
from durable import engine
from durable.engine import MessageNotHandledException, MessageObservedException

from engine.errors import EvaluationError
from engine.evaluate.compiler import SINK, SINK_KIND, CompiledRuleset
from engine.models.firing import Firing

DeriveFn = Callable[[str, dict[str, dict[str, Any]]], list[dict[str, Any]]]
"""Given a rule id and its bound facts, return the facts the rule derives."""


@dataclass
class _Session:
    firings: list[Firing] = field(default_factory=list)
    seen: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=itertools.count)


class _SyncHost(engine.Host):  # type: ignore[misc]
    """durable Host without background timer threads: everything runs in the caller."""

    def _run(self) -> None:
        pass


class Runtime:
    """Registered rulesets in one host; evaluate fact lists against them."""

    def __init__(self) -> None:
        self._host = _SyncHost()
        self._sessions: dict[str, _Session] = {}
        self._names: set[str] = set()
        self._lock = threading.Lock()
        self._sids = itertools.count()
        self._reuse: dict[tuple[str, int], str] = {}

    def register(self, compiled: CompiledRuleset, derive: DeriveFn) -> None:
        """Register a compiled ruleset once (same content → same name → no-op)."""
        with self._lock:
            if compiled.name in self._names:
                return
            definition: dict[str, Any] = {}
            for dname, body in copy.deepcopy(compiled.spec).items():
                if dname == SINK:
                    body["run"] = _noop
                else:
                    body["run"] = self._action(compiled.rule_of[dname], compiled.aliases[dname], derive)
                definition[dname] = body
            try:
                self._host.register_rulesets({compiled.name: definition})
            except Exception as exc:  # durable raises bare Exception with an error code
                raise EvaluationError(f"rules engine refused the compiled rules: {exc}") from None
            self._names.add(compiled.name)

    def unregister(self, name: str) -> None:
        """Drop a ruleset and free its C handle (only while no evaluation runs)."""
        with self._lock:
            old = self._host._ruleset_directory.pop(name, None)
            if old is not None:
                self._host._ruleset_list.remove(old)
                durable_rules_engine.delete_ruleset(old._handle)
            self._names.discard(name)
            for key in [k for k in self._reuse if k[0] == name]:
                del self._reuse[key]

    def _action(self, rule_id: str, aliases: tuple[str, ...], derive: DeriveFn) -> Callable[[Any], None]:
        def action(c: Any) -> None:
            session = self._sessions[c.s._d["sid"]]
            matched = c._m  # alias -> fact, as durable passes it (Closure internals, 2.0.28)
            bindings = {a: {k: v for k, v in matched[a].items() if k not in _SKIP} for a in aliases}
            key = (rule_id, tuple(sorted(str(b.get("fid")) for b in bindings.values())))
            if key in session.seen:  # DNF variants of one rule on the same facts
                return
            session.seen.add(key)
            try:
                new = derive(rule_id, bindings)
            except Exception as exc:  # surfaced after the run; never swallowed
                session.errors.append(f"{rule_id}: {exc!r}")
                return
            made = []
            for fact in new:
                fact = dict(fact, fid=f"{fact['kind']}#{next(session.counter)}<{rule_id}")
                made.append(fact)
                try:
                    c.assert_fact(dict(fact))
                except (MessageNotHandledException, MessageObservedException):
                    pass  # no rule uses it / already derived: recorded in the firing anyway
            session.firings.append(Firing(rule_id, bindings, tuple(made)))

        return action

    def _sid(self, name: str) -> str:
        key = (name, threading.get_ident())
        sid = self._reuse.get(key)
        if sid is None:
            sid = self._reuse[key] = f"w{next(self._sids)}"
        return sid

    def evaluate(self, compiled: CompiledRuleset, facts: list[dict[str, Any]]) -> list[Firing]:
        """Run the agenda for these facts; return firings in firing order.

        One session per thread and ruleset is reused: after each evaluation every fact is
        retracted (DURABLE.md §1.5, the faster of the two verified clean-ups). A session that
        failed is abandoned for a fresh one.

        Raises:
            EvaluationError: the engine failed or an action raised.
        """
        name = compiled.name
        sid = self._sid(name)
        session = _Session()
        self._sessions[sid] = session
        clean = False
        try:
            ruleset = self._host.get_ruleset(name)
            for fact in facts:
                try:
                    ruleset.assert_fact(dict(fact, sid=sid))
                except (MessageNotHandledException, MessageObservedException):
                    pass  # no rule mentions this fact
            state = self._host.assert_fact(name, {"sid": sid, "kind": SINK_KIND})
            if state and "exception" in state:
                session.errors.append(str(state["exception"])[:500])
            left = ruleset.get_facts(sid)
            if left:
                ruleset.retract_facts(left)
            clean = not session.errors
        except Exception as exc:
            raise EvaluationError(f"rules engine failure: {exc}") from None
        finally:
            self._sessions.pop(sid, None)
            if not clean:  # never reuse a session in an unknown state
                self._reuse.pop((name, threading.get_ident()), None)
        if session.errors:
            raise EvaluationError("a rule action failed: " + "; ".join(session.errors))
        return session.firings


def _noop(c: Any) -> None:
    return None


_SKIP = frozenset({"sid", "id", "$s"})


_RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    """Return the process-wide runtime (one durable host per process)."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime()
    return _RUNTIME


__all__ = ["Firing", "Runtime", "runtime"]
