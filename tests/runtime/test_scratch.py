"""Scratch filesystems (each confined environment's /tmp): no loop device of ours outlives the
server, however it dies (issue 11). Needs root and loop devices; skipped otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import wait_for

from stratus.runtime.scratch import ScratchPool

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/dev/loop-control").exists(),
    reason="scratch filesystems need root and loop devices (/dev/loop-control)",
)

ATTACH_AND_HANG = """
import sys, time
from pathlib import Path
from stratus.runtime.scratch import attach
device, handle = attach(Path(sys.argv[1]))
print(device, flush=True)
time.sleep(60)
"""


def _ours(root: Path) -> list[str]:
    """Loop devices backed by a file under `root` (deleted or not)."""
    return [device for device, _ in _backed_by(root)]


def _backed_by(root: Path) -> list[tuple[str, str]]:
    """(device, backing file) of loop devices backed by a file under `root`."""
    root = Path(os.path.realpath(root))
    found = []
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        try:
            path = backing.read_text().strip().removesuffix(" (deleted)")
        except OSError:
            continue
        if Path(path).is_relative_to(root):
            found.append((backing.parts[3], path))
    return found


def _image(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    image = directory / "stale.img"
    with open(image, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    return image


def test_a_process_killed_between_attach_and_mount_leaves_no_device(shared_dir):
    """The widest window there was: the device attached, not yet mounted, and the server
    killed. Attached with autoclear, the device goes with the last descriptor."""
    image = _image(shared_dir / "scratch")
    source = str(Path(__file__).parents[2] / "src")
    hanging = subprocess.Popen(
        [sys.executable, "-c", ATTACH_AND_HANG, str(image)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": source},
    )
    assert hanging.stdout is not None
    device = hanging.stdout.readline().decode().strip()
    assert device.startswith("/dev/loop")
    assert _ours(shared_dir) == [device.removeprefix("/dev/")]

    hanging.send_signal(signal.SIGKILL)
    hanging.wait()
    hanging.stdout.close()

    assert wait_for(lambda: not _ours(shared_dir), timeout=10), _ours(shared_dir)


def test_devices_a_killed_server_left_are_detached_at_start(shared_dir):
    """A device attached the old way (no autoclear) to an image under the scratch root is
    detached when a pool starts there; devices of other directories are left alone."""
    root = shared_dir / "work" / "scratch"
    elsewhere = _image(shared_dir / "elsewhere")
    attach = ["losetup", "--find", "--show"]
    stale = subprocess.run([*attach, str(_image(root))], check=True, capture_output=True)
    other = subprocess.run([*attach, str(elsewhere)], check=True, capture_output=True)
    other_device = other.stdout.decode().strip()
    try:
        assert stale.stdout.decode().strip().removeprefix("/dev/") in _ours(root)

        pool = ScratchPool(root)
        try:
            # (the pool's own filesystems may reuse the freed device's number)
            image = str(root / "stale.img")
            assert wait_for(lambda: all(path != image for _, path in _backed_by(root)), 10)
            assert other_device.removeprefix("/dev/") in _ours(shared_dir / "elsewhere")
        finally:
            pool.close()
        assert wait_for(lambda: not _ours(root), timeout=10), _ours(root)
    finally:
        subprocess.run(["losetup", "-d", other_device], check=False)


def test_a_server_killed_while_making_filesystems_leaves_no_device(shared_dir):
    """kill -9 of a server at moments spread over its start-up, when it attaches, formats
    and mounts its spare /tmp filesystems: afterwards no loop device is backed by its data
    directory (and the next server starts clean)."""
    from stratus.testing import serve_in_process

    data = shared_dir / "data"
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5):
        command = [
            sys.executable,
            "-m",
            "stratus",
            "server",
            "--port",
            "0",
            "--data-dir",
            str(data),
        ]
        source = str(Path(__file__).parents[2] / "src")
        server = subprocess.Popen(
            command,
            env={**os.environ, "PYTHONPATH": source},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        server.send_signal(signal.SIGKILL)
        server.wait()
        assert wait_for(lambda: not _ours(data), timeout=10), (delay, _ours(data))

    with serve_in_process(data) as running:
        assert running.isolation()["tmp_size"] == "capped"
    assert wait_for(lambda: not _ours(data), timeout=10), _ours(data)


MAKE_DETACHED_AND_HANG = """
import sys, time
from pathlib import Path
from stratus.runtime.scratch import ScratchPool
pool = ScratchPool(Path(sys.argv[1]))
handles = [pool.take_detached(16 << 20, 1000, wait=True) for _ in range(2)]
print(" ".join(map(str, handles)), flush=True)
time.sleep(60)
"""


def test_filesystems_mounted_nowhere_go_with_the_server(shared_dir):
    """Snapshot children's /tmp filesystems are made ahead and mounted nowhere (a descriptor
    each, their images unlinked at once): a server killed while holding them leaves no
    loop device and no image."""
    root = shared_dir / "work" / "scratch"
    source = str(Path(__file__).parents[2] / "src")
    hanging = subprocess.Popen(
        [sys.executable, "-c", MAKE_DETACHED_AND_HANG, str(root)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": source},
    )
    assert hanging.stdout is not None
    handles = hanging.stdout.readline().decode().split()
    try:
        assert len(handles) == 2
        for handle in handles:  # each a mount of its own filesystem, nowhere in any table
            assert Path(f"/proc/{hanging.pid}/fd/{handle}").is_dir()
        deleted = [path for _, path in _backed_by(root) if not Path(path).exists()]
        assert len(deleted) >= 2  # their images already unlinked
    finally:
        hanging.send_signal(signal.SIGKILL)
        hanging.wait()
        hanging.stdout.close()

    assert wait_for(lambda: not _ours(root), timeout=10), _ours(root)
