"""The compiled-policy cache: same verdicts from a revived policy, never a stale or broken one."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from bot import Draft, load_config
from bot.policy import cache, clear_cache, default_policy_dir, load_policy
from bot.review import review_rules

DRAFTS = [
    "Mrs Patel in bed 4 went home after her stroke",
    "Text me on 07700 900456 or email jo.bloggs@gmail.com",
    "What a load of rubbish from the idiots at the council!!!",
    "Lovely day at the park. #worldkindnessday",
    "Vote Conservative on 2 May!",
]


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CANIPOST_CACHE_DIR", str(folder))
    clear_cache()
    yield folder
    clear_cache()


def _verdicts(policy_dir: Path | None = None) -> list[tuple[str, list[tuple[str, int | None]]]]:
    cfg = load_config(None)
    policy = load_policy(cfg, directory=policy_dir)
    out = []
    for text in DRAFTS:
        v = review_rules(Draft(text, "twitter"), config=cfg, policy=policy, layers=False)
        out.append((v.decision.label, sorted((f.rule, f.start) for f in v.findings)))
    return out


def test_revived_policy_gives_the_same_verdicts(cache_dir: Path) -> None:
    built = _verdicts()
    files = list(cache_dir.glob("policy-*.pickle"))
    assert len(files) == 1
    clear_cache()  # forget the in-memory copy: the next load unpickles the file
    assert _verdicts() == built
    assert len(list(cache_dir.glob("policy-*.pickle"))) == 1


def test_an_edited_rule_is_a_miss_not_a_stale_hit(cache_dir: Path, tmp_path: Path) -> None:
    policy_dir = tmp_path / "policy"
    shutil.copytree(default_policy_dir(), policy_dir)
    first = load_policy(load_config(None), directory=policy_dir)
    rule = policy_dir / "packs" / "confidentiality" / "patient_details.yaml"
    rule.write_text(
        rule.read_text(encoding="utf-8").replace("severity: do_not_post", "severity: advise")
    )
    clear_cache()
    second = load_policy(load_config(None), directory=policy_dir)
    assert second.version != first.version
    assert second.rule("confidentiality.patient_details").severity.label == "advise"
    assert len(list(cache_dir.glob("policy-*.pickle"))) == 2


def test_a_corrupt_cache_file_is_rebuilt(cache_dir: Path) -> None:
    built = _verdicts()
    (path,) = cache_dir.glob("policy-*.pickle")
    path.write_bytes(path.read_bytes()[:1000])  # truncated, as after a crash
    clear_cache()
    assert _verdicts() == built
    clear_cache()
    path.write_bytes(b"not a pickle at all")
    assert _verdicts() == built
    assert path.stat().st_size > 1000  # rewritten whole


def test_off_switch_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANIPOST_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    clear_cache()
    assert cache.cache_dir() is None
    assert _verdicts()
    assert not list(tmp_path.rglob("*.pickle"))
    clear_cache()


def test_unwritable_cache_folder_still_reviews(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("CANIPOST_CACHE_DIR", str(blocker / "cache"))
    clear_cache()
    assert _verdicts()[0][0] == "do_not_post"
    clear_cache()


def _load_in_child(folder: str) -> str:
    import os

    os.environ["CANIPOST_CACHE_DIR"] = folder
    from bot import load_config as lc
    from bot.policy import load_policy as lp

    return lp(lc(None)).version


def test_concurrent_writers_leave_one_good_file(cache_dir: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        versions = pool.map(_load_in_child, [str(cache_dir)] * 4)
    assert len(set(versions)) == 1
    files = list(cache_dir.glob("policy-*.pickle"))
    assert len(files) == 1 and not list(cache_dir.glob("*.tmp"))
    clear_cache()
    assert load_policy(load_config(None)).version == versions[0]


def test_code_stamp_is_taken_at_import_not_at_load(tmp_path: Path) -> None:
    """A worker upgraded underneath keeps filing pickles under its own (old) code's key."""
    before = cache.key_for(tmp_path, "s")
    target = Path(cache.__file__).resolve().parents[1] / "verdict.py"
    st = target.stat()
    try:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert cache.key_for(tmp_path, "s") == before  # same process, same classes
        assert cache._stamp_code() != cache._CODE_STAMP  # a new process would see new code
    finally:
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_load_leaves_the_collector_as_it_was(cache_dir: Path) -> None:
    """Unpickling runs with the cyclic collector paused; it is switched back on after."""
    import gc

    _verdicts()
    clear_cache()
    assert gc.isenabled()
    _verdicts()  # from the file
    assert gc.isenabled()
    gc.disable()
    try:
        clear_cache()
        _verdicts()
        assert not gc.isenabled()
    finally:
        gc.enable()
