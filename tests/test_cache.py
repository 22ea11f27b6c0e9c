"""The content cache between runs (engine/load/cache.py): never stale, never trusted blindly,
and the plans are the same bytes with it on or off."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from pathlib import Path

import pytest

from engine.errors import EngineError
from engine.load import cache, content, yamlio
from engine.load.content import content_files, load_content, reload_content
from tests.conftest import ROOT, rehab

SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
TEXT = "You do not need to stretch or foam-roll the outside of your thigh."
SAME_LENGTH = "You do not need to stretch or FOAM-ROLL the outside of your thigh."


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """A copy of the shipped rules and exercises, and an empty cache folder of its own."""
    rules, exercises, store = tmp_path / "rules", tmp_path / "exercises", tmp_path / "cache"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "exercises", exercises)
    monkeypatch.setenv("REHAB_CACHE_DIR", str(store))
    monkeypatch.delenv("REHAB_NO_CACHE", raising=False)
    reload_content()
    yield rules, exercises, store
    reload_content()


def _educate(c: content.Content, rule_id: str) -> str:
    rule = c.rules()[rule_id]
    return next(a.educate for a in rule.then if getattr(a, "educate", None))


def _entry(store: Path) -> Path:
    entries = sorted(store.glob("content-*.cache"))
    assert len(entries) == 1, entries
    return entries[0]


def test_an_edited_rule_file_is_seen_by_the_next_run_even_with_the_same_size_and_mtime(
    folders: tuple[Path, Path, Path],
) -> None:
    rules, exercises, store = folders
    first = load_content(rules, exercises)
    assert TEXT in _educate(first, "itbs-no-itb-stretch")
    entry = _entry(store)
    reload_content()
    assert load_content(rules, exercises).book.sha256 == first.book.sha256  # from the cache
    assert _entry(store) == entry
    path = rules / "assessment" / "diagnoses.yaml"
    st = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(TEXT, SAME_LENGTH), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only the bytes differ
    assert path.stat().st_size == st.st_size
    reload_content()
    second = load_content(rules, exercises)
    assert SAME_LENGTH in _educate(second, "itbs-no-itb-stretch")
    assert second.book.sha256 != first.book.sha256


def test_a_moved_or_an_added_rule_file_is_a_new_key(folders: tuple[Path, Path, Path]) -> None:
    rules, exercises, _ = folders
    first = load_content(rules, exercises)
    (rules / "more").mkdir()
    shutil.move(rules / "assessment" / "diagnoses.yaml", rules / "more" / "diagnoses.yaml")
    reload_content()
    moved = load_content(rules, exercises)
    assert moved.book.sources["itbs-no-itb-stretch"].file == str(rules / "more" / "diagnoses.yaml")
    assert first.book.sources["itbs-no-itb-stretch"].file != moved.book.sources["itbs-no-itb-stretch"].file
    shutil.copy(rules / "more" / "diagnoses.yaml", rules / "assessment" / "diagnoses.yaml")
    reload_content()
    with pytest.raises(EngineError, match="duplicate rule id"):  # the new file is read, not the old entry
        load_content(rules, exercises)


def test_load_errors_are_not_cached(folders: tuple[Path, Path, Path]) -> None:
    rules, exercises, store = folders
    path = rules / "assessment" / "diagnoses.yaml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("priority:", "priority: [", 1), encoding="utf-8")
    with pytest.raises(EngineError):
        load_content(rules, exercises)
    assert not list(store.glob("content-*.cache"))
    reload_content()
    with pytest.raises(EngineError):  # still reported on the next run
        load_content(rules, exercises)
    path.write_text(good, encoding="utf-8")
    reload_content()
    assert TEXT in _educate(load_content(rules, exercises), "itbs-no-itb-stretch")


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:-10] + b"0123456789",  # payload changed: digest fails
        lambda b: b"not a cache file at all",
        lambda b: b"",
    ],
)
def test_a_corrupt_entry_is_ignored_and_replaced(folders: tuple[Path, Path, Path], damage: object) -> None:
    rules, exercises, store = folders
    want = load_content(rules, exercises)
    entry = _entry(store)
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    reload_content()
    got = load_content(rules, exercises)
    assert got.book.sha256 == want.book.sha256 and got.rules().keys() == want.rules().keys()
    reload_content()
    assert load_content(rules, exercises).book.sha256 == want.book.sha256  # the rewritten entry reads


def _forge(entry: Path, payload: bytes) -> None:
    """Rewrite an entry with a valid header (same key) around ``payload``."""
    blob = entry.read_bytes()
    head_end = len(cache.MAGIC) + blob[len(cache.MAGIC) :].index(b"\n") + 1
    key_end = blob.index(b"\n", head_end) + 1
    entry.write_bytes(blob[:key_end] + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch pwned",))


def test_a_forged_entry_cannot_run_code_and_is_ignored(
    folders: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, exercises, store = folders
    want = load_content(rules, exercises)
    monkeypatch.chdir(tmp_path)
    _forge(_entry(store), pickle.dumps(_Evil()))
    reload_content()
    assert load_content(rules, exercises).book.sha256 == want.book.sha256
    assert not (tmp_path / "pwned").exists()


def test_an_entry_others_can_write_is_not_trusted(folders: tuple[Path, Path, Path]) -> None:
    rules, exercises, store = folders
    want = load_content(rules, exercises)
    entry = _entry(store)
    lie = pickle.loads(pickle.dumps(want))
    lie.book.rules["assessment"].clear()  # a well-formed entry that disagrees with the files
    _forge(entry, pickle.dumps(lie))
    reload_content()
    assert load_content(rules, exercises).book.rules["assessment"] == []  # ours, well-formed: used
    _forge(entry, pickle.dumps(lie))
    entry.chmod(0o666)
    reload_content()
    assert load_content(rules, exercises).book.rules["assessment"] == want.book.rules["assessment"]


def test_every_file_the_loader_reads_is_in_the_key(
    folders: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules, exercises, _ = folders
    (rules / "extra").mkdir()
    shutil.move(rules / "assessment" / "trunk.yaml", rules / "extra" / "trunk.yaml")
    read: list[Path] = []
    real = yamlio.read

    def spy(path: Path | str) -> object:
        read.append(Path(path))
        return real(path)

    monkeypatch.setattr(yamlio, "read", spy)
    monkeypatch.setenv("REHAB_NO_CACHE", "1")
    load_content(rules, exercises)
    keyed = set(content_files(rules, exercises))
    assert read and {p for p in read if p.exists()} <= keyed
    assert rules / "extra" / "trunk.yaml" in keyed


def test_cache_off_gives_the_same_plan_and_handout_bytes(tmp_path: Path) -> None:
    store = tmp_path / "cache"
    outs = []
    for i, env in enumerate(
        [{"REHAB_CACHE_DIR": str(store)}, {"REHAB_CACHE_DIR": str(store)}, {"REHAB_NO_CACHE": "1"}]
    ):
        plan, pdf = tmp_path / f"p{i}.json", tmp_path / f"h{i}.pdf"
        r = rehab("plan", str(SEED), "--json", str(plan), "-o", str(pdf), env=env)
        assert r.returncode == 0, r.stderr
        outs.append((plan.read_bytes(), pdf.read_bytes()))
        if i == 0:
            assert {p.name.split("-")[0] for p in store.glob("*.cache")} == {"content", "template", "font"}
    assert outs[0] == outs[1] == outs[2]


def test_an_edited_rule_changes_the_next_cli_plan(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    env = {"REHAB_CACHE_DIR": str(tmp_path / "cache"), "REHAB_RULES": str(rules)}
    first = rehab("plan", str(SEED), "--json", "-", env=env)
    assert first.returncode == 0 and TEXT in first.stdout
    path = rules / "assessment" / "diagnoses.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(TEXT, SAME_LENGTH), encoding="utf-8")
    second = rehab("plan", str(SEED), "--json", "-", env=env)
    assert second.returncode == 0 and SAME_LENGTH in second.stdout and TEXT not in second.stdout


def test_a_cached_location_index_gives_the_same_positions() -> None:
    import copy

    _, index = yamlio.read(ROOT / "rules" / "assessment" / "diagnoses.yaml")
    back = pickle.loads(pickle.dumps(index))
    assert copy.deepcopy(back).value(("rules", 3, "id")) == index.value(("rules", 3, "id"))
    for loc in [("rules", 0), ("rules", 2, "when"), ("rules", 1, "then", 0), ("nope",)]:
        assert back.value(loc) == index.value(loc) and back.key(loc) == index.key(loc)
        assert back.has(loc) == index.has(loc)
