"""Client-facing words read at grade 8 or below (Flesch-Kincaid, CLINICAL.md §8.1)."""

from __future__ import annotations

import re

import pytest

from engine.load.content import load_content

LIMIT = 8.0


def syllables(word: str) -> int:
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1 if w else 0
    w = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", w)
    w = re.sub(r"^y", "", w)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


def grade(text: str) -> float:
    """Flesch-Kincaid grade level with a standard syllable heuristic."""
    sentences = max(1, len(re.findall(r"[.!?]+(?:\s|$)", text)))
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    if not words:
        return 0.0
    return 0.39 * len(words) / sentences + 11.8 * sum(map(syllables, words)) / len(words) - 15.59


def _sentence(s: str) -> str:
    return s if s.rstrip().endswith((".", "!", "?")) else s + "."


def test_grade_heuristic_orders_texts_sensibly() -> None:
    assert grade("Stand on one leg. Keep your hips level.") < 3
    assert grade("Contralateral pelvic drop necessitates neuromuscular re-education interventions.") > 12


CONTENT = load_content()


@pytest.mark.parametrize("ex", sorted(CONTENT.library.exercises.values(), key=lambda e: e.id), ids=lambda e: e.id)
def test_exercise_words(ex) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(_sentence(s) for s in [ex.purpose, *ex.steps, *ex.cues, *ex.precautions])
    assert grade(text) <= LIMIT


def test_rule_texts_for_clients() -> None:
    too_hard = []
    for rule in CONTENT.rules().values():
        for action in rule.then:
            texts = [getattr(action, k) for k in ("cue", "educate", "precaution")]
            texts += [action.refer.reason] if action.refer else []
            texts += [action.progress.reason] if action.progress else []
            too_hard += [(rule.id, round(grade(t), 1), t) for t in texts if t and grade(t) > LIMIT]
    assert not too_hard
