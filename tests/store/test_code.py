"""The code store: trees are written once, sealed, and checked against their archive."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.conftest import make_zip

from stratus.store.code import CodeStore

APP = "def handler(event, context):\n    return 'original'\n"


def _writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_an_extracted_tree_is_read_only(tmp_path):
    """Files and directories of a stored tree have no write bit, for anyone; an executable
    keeps its execute bits."""
    store = CodeStore(tmp_path / "code")

    stored = store.put(make_zip({"app.py": APP, "bin/tool": "#!/bin/sh\n"}, {"bin/tool": 0o755}))

    modes = {
        p.relative_to(stored.root).as_posix(): p.stat().st_mode & 0o777
        for p in stored.root.rglob("*")
    }
    assert modes == {"app.py": 0o444, "bin": 0o555, "bin/tool": 0o555}
    assert stored.root.stat().st_mode & 0o777 == 0o555


def test_a_changed_tree_is_extracted_again_when_the_archive_is_stored_again(tmp_path):
    """Appending to a stored file (only root can) does not survive: storing the same archive
    checks the tree and restores it."""
    store = CodeStore(tmp_path / "code")
    archive = make_zip({"app.py": APP})
    tree = store.put(archive).root
    _writable(tree / "app.py")
    with open(tree / "app.py", "a") as f:
        f.write("raise SystemExit('planted')\n")

    again = store.put(archive)

    assert (again.root / "app.py").read_text() == APP


def test_a_changed_tree_is_extracted_again_on_first_use_after_a_restart(tmp_path):
    """A server starting on a tampered store checks each tree before it first runs it: an
    added file, a changed one, a missing one, a writable one are all found."""
    archive = make_zip({"app.py": APP, "lib/util.py": "X = 1\n"})
    sha = CodeStore(tmp_path / "code").put(archive).sha256_hex
    tree = tmp_path / "code" / sha
    for tamper in (
        lambda: (_writable(tree), (tree / "extra.py").write_text("")),
        lambda: (_writable(tree / "lib"), (tree / "lib" / "util.py").unlink()),
        lambda: (tree / "app.py").chmod(0o644),
        lambda: (_writable(tree / "app.py"), (tree / "app.py").write_text(APP.upper())),
    ):
        tamper()

        restarted = CodeStore(tmp_path / "code").get(sha)

        assert sorted(p.name for p in restarted.root.rglob("*")) == ["app.py", "lib", "util.py"]
        assert (restarted.root / "app.py").read_text() == APP
        assert (restarted.root / "app.py").stat().st_mode & 0o777 == 0o444


def test_staging_left_by_a_crash_is_swept_at_start(tmp_path):
    """`.extract-*` directories (a kill -9 during CreateFunction) and unfinished uploads are
    removed when the store opens, even sealed ones."""
    root = tmp_path / "code"
    (root / ".extract-abc" / "pkg").mkdir(parents=True)
    (root / ".extract-abc" / "pkg" / "a.py").write_text("")
    os.chmod(root / ".extract-abc" / "pkg", 0o555)
    (root / ".upload-xyz").write_bytes(b"partial")

    CodeStore(root)

    assert sorted(p.name for p in root.iterdir()) == []
