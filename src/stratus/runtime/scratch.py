"""Scratch filesystems: each confined environment's /tmp, capped in total at EphemeralStorage.

    <data>/work/scratch/<id>.img    a sparse file holding an ext4 filesystem (no journal)
    <data>/work/scratch/<id>/       where it is mounted (loop device, nosuid, nodev), in the
                                    keeper's mount namespace only
    one more, of BYTECODE_SIZE      every confined environment's bytecode cache (per function)

A confined environment binds its directory at /tmp: files together cannot outgrow it (ENOSPC,
as on Lambda), and its pages are a disk's, not memory charged to the function's cgroup as
tmpfs would be (a 128 MB function may still fill a 512 MB /tmp). The image is a little
larger than the size (ext4's own tables): files get EphemeralStorage (+~1 MB), and a single
file still meets RLIMIT_FSIZE's EFBIG at exactly EphemeralStorage.

Making one (truncate, mkfs.ext4, losetup, mount: 10-40 ms) is kept off the start path: `SPARE` ready
filesystems per size recently asked for are made ahead in a thread. A used one is unmounted
and deleted, never reused.

The mounts never touch the host's mount table: they are made in the mount namespace of a
keeper, a sleeping child of the server that dies with it (PDEATHSIG). Confined environments
start from a copy of that namespace (lib/confine.py enters it first), and the server reaches
the filesystems through /proc/<keeper>/root. When the server dies, even by kill -9, the
keeper's namespace goes with it, every filesystem is unmounted once the last environment
holding it has died, and its loop device frees itself.

No loop device outlives the server, whenever it is killed: devices are attached with
LO_FLAGS_AUTOCLEAR set by the attach itself (LOOP_CONFIGURE), so the kernel frees one when
its last user goes: the server's descriptor (a server killed before the mount), else the
mount. Devices an older server attached without it (backed by images under our root) are
detached at start.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import shutil
import struct
import subprocess
import sys
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger("stratus.runtime")

SPARE = 3
MIB = 1024 * 1024
DEFAULT_SIZE = 512 * MIB  # Lambda's default EphemeralStorage
BYTECODE_SIZE = 1024 * MIB

# <linux/loop.h>
LOOP_CTL_GET_FREE, LOOP_CONFIGURE = 0x4C82, 0x4C0A
LO_FLAGS_AUTOCLEAR, LO_FLAGS_DIRECT_IO = 4, 16
# struct loop_config: fd, block_size, then struct loop_info64 (5 u64, 4 u32 with lo_flags
# last, three name/key arrays, 2 u64), then 8 reserved u64.
LOOP_CONFIG = struct.Struct("=II5Q4I64s64s32s2Q64x")
# The new mount API (the same numbers on every architecture since Linux 5.2), for filesystems
# mounted nowhere: fsmount gives a descriptor of a mount in no namespace, which whoever
# receives it attaches with move_mount.
SYS_MOVE_MOUNT, SYS_FSOPEN, SYS_FSCONFIG, SYS_FSMOUNT = 429, 430, 431, 432
FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, FSCONFIG_CMD_CREATE = 0, 1, 6
MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOUNT_ATTR_NOATIME = 0x2, 0x4, 0x10
# Detached filesystems kept ready per size (snapshot children's /tmp), beyond recent demand.
DETACHED_SPARE = 4
DETACHED_MAX = 32  # (each is a loop device and a sparse image: a few hundred KB of disk)


# The keeper: die with the server, take a private mount namespace, say so, and sleep.
KEEPER = """
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
libc.prctl(1, signal.SIGKILL, 0, 0, 0)
if os.getppid() != int(sys.argv[1]):
    sys.exit(1)
if libc.unshare(0x20000) != 0 or libc.mount(b"none", b"/", None, 0x44000, None) != 0:
    sys.exit(os.strerror(ctypes.get_errno()))
os.write(1, b"ready")
os.close(1)
while True:
    signal.pause()
"""


class ScratchPool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._ready: dict[int, list[Path]] = defaultdict(list)
        self._lock = threading.Lock()
        self._maker = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="stratus-scratch", initializer=_in_background
        )
        self._wanted: set[int] = set()
        # Filesystems mounted nowhere (descriptors from fsmount), for snapshot children:
        # each is handed to one child, which attaches it at /tmp in its own mount namespace.
        self._detached: dict[int, list[int]] = defaultdict(list)
        self._detached_wanted: dict[int, int] = {}
        self._template_lock = threading.Lock()
        detach_stale(root)  # devices an older server left attached to our images
        shutil.rmtree(root, ignore_errors=True)  # images a killed server left
        root.mkdir(parents=True, mode=0o700)
        command = [sys.executable, "-I", "-S", "-c", KEEPER, str(os.getpid())]
        self._keeper = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert self._keeper.stdout is not None
        ready = self._keeper.stdout.read()
        self._keeper.stdout.close()
        if ready != b"ready":
            self._keeper.wait()
            raise OSError(f"the mount keeper could not start (status {self._keeper.returncode})")
        self.namespace = f"/proc/{self._keeper.pid}/ns/mnt"
        # Confined environments' bytecode caches (launcher.py), all on one filesystem of
        # their own: a function writing there fills at most this, never the host's disk.
        self.bytecode = self._make(BYTECODE_SIZE)

    def view(self, path: Path) -> Path:
        """`path` as the keeper's mount namespace has it (where the filesystems are)."""
        return Path(f"/proc/{self._keeper.pid}/root") / path.relative_to("/")

    def _in_keeper(self, *command: str) -> subprocess.CompletedProcess[bytes]:
        enter = ["nsenter", f"--mount={self.namespace}", "--"]
        return subprocess.run([*enter, *command], check=True, capture_output=True)

    @classmethod
    def detect(cls, root: Path) -> ScratchPool | None:
        """A pool, if this host can mount loop filesystems (root, mkfs.ext4, loop devices)."""
        if os.geteuid() != 0 or not Path("/dev/loop-control").exists():
            reason = "not root" if os.geteuid() != 0 else "no loop devices (/dev/loop-control)"
        elif not all(shutil.which(t) for t in ("mkfs.ext4", "losetup", "mount", "nsenter")):
            reason = "a tool is missing: apt-get install e2fsprogs mount util-linux"
        else:
            try:
                pool = cls(root)
                pool.release(pool._make(MIB))
                pool._wanted.add(DEFAULT_SIZE)
                pool._refill()
            except (OSError, subprocess.CalledProcessError) as exc:
                reason = f"a loop filesystem could not be mounted ({exc})"
            else:
                log.info("isolation: each environment's /tmp is a filesystem of its own size")
                return pool
        log.warning("isolation: /tmp is capped per file only (RLIMIT_FSIZE): %s", reason)
        return None

    def ready(self, size: int) -> bool:
        return bool(self._ready[size])

    def release_soon(self, mount: Path) -> None:
        self._maker.submit(self.release, mount)

    def take(self, size: int, uid: int) -> Path:
        """A mounted filesystem of `size` bytes owned by `uid` (blocking if none is ready:
        run it in a thread)."""
        with self._lock:
            ready = self._ready[size]
            mount = ready.pop() if ready else None
            self._wanted.add(size)
        if mount is None:
            mount = self._make(size)
        os.chown(self.view(mount), uid, uid)
        self._refill()
        return mount

    def take_detached(self, size: int, uid: int, wait: bool = False) -> int | None:
        """A descriptor of a filesystem of `size` bytes owned by `uid`, mounted nowhere (the
        caller closes it once it has passed it on), or None if none is ready and not `wait`
        (a restore must not pay for mkfs; with `wait`, blocking: run it in a thread). A few
        more than recent demand (`expect_detached`) are kept ready."""
        with self._lock:
            ready = self._detached[size]
            handle = ready.pop() if ready else None
            self._detached_wanted.setdefault(size, DETACHED_SPARE)
        if handle is None and wait:
            handle = self._make_detached(size)
        if handle is not None:
            os.chown(f"/proc/self/fd/{handle}", uid, uid)
        self._maker.submit(self._make_detached_spares)
        return handle

    def expect_detached(self, size: int, count: int) -> None:
        """Keep `count` (plus DETACHED_SPARE) detached filesystems of `size` ready: the
        caller's recent demand (a burst of restores)."""
        wanted = min(DETACHED_MAX, count + DETACHED_SPARE)
        with self._lock:
            if self._detached_wanted.get(size, 0) >= wanted:
                return
            self._detached_wanted[size] = wanted
        self._maker.submit(self._make_detached_spares)

    def _make_detached_spares(self) -> None:
        for size, wanted in list(self._detached_wanted.items()):
            while len(self._detached[size]) < wanted:
                try:
                    handle = self._make_detached(size)
                except (OSError, subprocess.CalledProcessError) as exc:
                    log.warning("could not prepare a /tmp filesystem: %s", exc)
                    return
                with self._lock:
                    self._detached[size].append(handle)

    def _make_detached(self, size: int) -> int:
        """A filesystem of `size` mounted nowhere: its only trace is the descriptor (and the
        loop device it holds, which frees itself when the mount goes). The image is unlinked
        at once: nothing is left on disk whenever the server dies. A copy of a template
        formatted once per size (its ~330 KB of tables: 0.5 ms, where mkfs takes 30-40 ms);
        then attach and mount, 10-20 ms on a loaded machine."""
        template = self._template(size)
        image = self.root / f"{uuid.uuid4().hex}.img"
        try:
            copy_sparse(template, image)
            device, handle = attach(image)
        finally:
            image.unlink(missing_ok=True)
        try:
            mount = fsmount_ext4(device)
        finally:
            os.close(handle)  # from now on the mount alone holds the device
        root = f"/proc/self/fd/{mount}"
        os.rmdir(f"{root}/lost+found")
        os.chmod(root, 0o700)
        return mount

    def _template(self, size: int) -> Path:
        with self._template_lock:
            template = self.root / f"template-{size}.img"
            if not template.exists():
                partial = template.with_suffix(".partial")
                with open(partial, "wb") as f:
                    f.truncate(image_size(size))
                mkfs = ["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-E", "nodiscard"]
                subprocess.run([*mkfs, str(partial)], check=True, capture_output=True)
                partial.rename(template)
            return template

    def release(self, mount: Path) -> None:
        """Unmount and delete (blocking). Lazily: a mount namespace still holding it (an
        environment not quite gone) keeps it until it dies; the loop device then frees
        itself."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self._in_keeper("umount", "-l", str(mount))
        with contextlib.suppress(OSError):
            mount.rmdir()
        mount.with_suffix(".img").unlink(missing_ok=True)

    def close(self) -> None:
        """Unmount everything (releases still queued run first)."""
        self._wanted.clear()
        self._maker.shutdown(wait=True)
        for mounts in self._ready.values():
            for mount in mounts:
                self.release(mount)
        self._ready.clear()
        for handles in self._detached.values():
            for handle in handles:
                os.close(handle)  # (mounted nowhere: unmounted with its last descriptor)
        self._detached.clear()
        self.release(self.bytecode)
        self._keeper.kill()  # its namespace, and whatever is still mounted there, goes
        self._keeper.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _refill(self) -> None:
        self._maker.submit(self._make_spares)

    def _make_spares(self) -> None:
        for size in list(self._wanted):
            while len(self._ready[size]) < SPARE:
                try:
                    mount = self._make(size)
                except (OSError, subprocess.CalledProcessError) as exc:
                    log.warning("could not prepare a /tmp filesystem: %s", exc)
                    return
                with self._lock:
                    self._ready[size].append(mount)

    def _make(self, size: int) -> Path:
        mount = self.root / uuid.uuid4().hex
        image = mount.with_suffix(".img")
        with open(image, "wb") as f:
            f.truncate(image_size(size))
        quiet = {"check": True, "capture_output": True}
        mkfs = ["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-E", "nodiscard"]
        subprocess.run([*mkfs, str(image)], **quiet)  # type: ignore[call-overload]
        mount.mkdir(mode=0o700)
        device, handle = attach(image)
        try:
            self._in_keeper("mount", "-o", "nosuid,nodev,noatime", device, str(mount))
        finally:
            os.close(handle)  # from now on the mount alone holds the device
        (self.view(mount) / "lost+found").rmdir()
        self.view(mount).chmod(0o700)
        return mount


def attach(image: Path) -> tuple[str, int]:
    """A free loop device backed by `image`, and an open descriptor of it. Set up in one
    ioctl with LO_FLAGS_AUTOCLEAR, so the kernel detaches it when its last user is gone: this
    descriptor (when the server dies before mounting it), else the mount. Direct I/O: the
    image's pages are not cached twice (measured: 512 MB written in 1.0 s, 4.9 s without)."""
    control = os.open("/dev/loop-control", os.O_RDWR | os.O_CLOEXEC)
    backing = os.open(image, os.O_RDWR | os.O_CLOEXEC)
    try:
        for _ in range(8):  # another process may take the free device first: EBUSY
            number = fcntl.ioctl(control, LOOP_CTL_GET_FREE)
            device = f"/dev/loop{number}"
            handle = os.open(device, os.O_RDWR | os.O_CLOEXEC)
            flags = LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO
            name = str(image).encode()[:63]
            config = LOOP_CONFIG.pack(
                backing, 0, *[0] * 5, number, 0, 0, flags, name, b"", b"", 0, 0
            )
            try:
                fcntl.ioctl(handle, LOOP_CONFIGURE, config)
            except OSError as exc:
                os.close(handle)
                if exc.errno != 16:  # EBUSY
                    raise
                continue
            return device, handle
        raise OSError(16, "no free loop device")
    finally:
        os.close(backing)
        os.close(control)


def _in_background() -> None:
    """The maker thread yields the CPU to starts: making a filesystem (attach, mount: kernel
    work, 10-20 ms) right after a restore otherwise delayed the next one (Restore Duration
    p90 0.75 -> 3 ms on the loaded 2 cores). Linux: a thread's own nice value."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def copy_sparse(source: Path, target: Path) -> None:
    """`target`, a copy of `source` with its holes kept (only the data is copied)."""
    reading = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    writing = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        end = os.fstat(reading).st_size
        os.ftruncate(writing, end)
        offset = 0
        while offset < end:
            try:
                start = os.lseek(reading, offset, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole is left
                break
            offset = os.lseek(reading, start, os.SEEK_HOLE)
            position = start
            while position < offset:
                copied = os.copy_file_range(reading, writing, offset - position, position, position)
                if copied == 0:
                    raise OSError(5, f"short copy of {source}")
                position += copied
    finally:
        os.close(reading)
        os.close(writing)


def fsmount_ext4(device: str) -> int:
    """A descriptor of `device`'s ext4 filesystem, mounted (nosuid, nodev, noatime) in no
    namespace: gone with its last descriptor unless someone attaches it (move_mount)."""
    syscall = _libc().syscall
    context = _check(syscall(SYS_FSOPEN, b"ext4", 1), "fsopen")  # FSOPEN_CLOEXEC
    try:
        source = device.encode()
        _check(syscall(SYS_FSCONFIG, context, FSCONFIG_SET_STRING, b"source", source, 0), "source")
        # Its inode tables are never zeroed in the background (a copy of a lazily made
        # filesystem would otherwise be written over by the kernel after each mount).
        _check(syscall(SYS_FSCONFIG, context, FSCONFIG_SET_FLAG, b"noinit_itable", None, 0), "flag")
        _check(syscall(SYS_FSCONFIG, context, FSCONFIG_CMD_CREATE, None, None, 0), "create")
        attributes = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOATIME
        return _check(syscall(SYS_FSMOUNT, context, 1, attributes), "fsmount")  # CLOEXEC
    finally:
        os.close(context)


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def detach_stale(root: Path) -> list[str]:
    """Detach loop devices backed by images under `root` (left by a server that attached
    them without autoclear); returns their names."""
    detached = []
    root = Path(os.path.realpath(root))
    for backing in Path("/sys/block").glob("loop*/loop/backing_file"):
        with contextlib.suppress(OSError):
            path = backing.read_text().strip().removesuffix(" (deleted)")
            if Path(path).is_relative_to(root):
                device = f"/dev/{backing.parts[3]}"
                subprocess.run(["losetup", "-d", device], check=False, capture_output=True)
                detached.append(device)
    if detached:
        log.warning("detached %d loop devices a killed server left: %s", len(detached), detached)
    return detached


def image_size(size: int) -> int:
    """An image whose ext4 filesystem (no journal, no reserved blocks) leaves `size` bytes
    (about 1 MB more) for files: its tables take ~2% and ~9 MB (measured, 512 MB-10 GB)."""
    return size + size * 207 // 10000 + 10 * MIB
