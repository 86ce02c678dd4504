"""The folder watcher behind `stratus up`'s hot reload: one batch per burst of saves, and
Stratus's own output never counts as a save."""

from __future__ import annotations

import time

from stratus.cli.watch import Watcher


def test_a_burst_of_saves_comes_as_one_batch(tmp_path):
    """Several files written in a row (and while nobody asked) arrive in one batch."""
    with Watcher(tmp_path) as watcher:
        for name in ("a.py", "b.py", "c.py"):
            (tmp_path / name).write_text("x = 1\n")
        time.sleep(0.3)  # a reload would be running now
        changes = watcher.next_changes(5)
        rest = watcher.next_changes(0.3)

    assert changes is not None
    assert {p.name for p in changes.paths} == {"a.py", "b.py", "c.py"}
    assert rest is None


def test_queued_batches_are_coalesced(tmp_path):
    """Batches that pile up while a reload runs are handed over together, once."""
    with Watcher(tmp_path) as watcher:
        (tmp_path / "first.py").write_text("")
        watcher.next_changes(5)  # the watch is live
        (tmp_path / "a.py").write_text("")
        time.sleep(0.4)  # long enough to be a batch of its own, not yet taken
        (tmp_path / "b.py").write_text("")
        time.sleep(0.4)
        changes = watcher.next_changes(5)

    assert changes is not None
    assert {p.name for p in changes.paths} == {"a.py", "b.py"}


def test_stratus_output_caches_and_vcs_folders_are_ignored(tmp_path):
    """Writes under .stratus/, .aws-sam/, __pycache__/ and .git/ are not saves."""
    with Watcher(tmp_path) as watcher:
        for folder in (".stratus/build/Hello", ".aws-sam", "__pycache__", ".git"):
            (tmp_path / folder).mkdir(parents=True)
            (tmp_path / folder / "file").write_text("x")
        ignored = watcher.next_changes(0.5)
        (tmp_path / "app.py").write_text("x = 1\n")
        seen = watcher.next_changes(5)

    assert ignored is None
    assert seen is not None
    assert {p.name for p in seen.paths} == {"app.py"}
