"""Nested stacks' cleanup waits for their root, as on AWS.

    root UpdateStack ─> child update succeeds: its replaced and removed resources are NOT
                        deleted yet; the cleanup is held here under the root's id
         ├─ root succeeds ─> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: the root deletes its own old
         │                   resources, then every held cleanup of its tree
         └─ root fails ───> its rollback updates the child back: first the child's resources
                            that were replaced point at the originals again (still there),
                            and the replacements are held for deletion instead; in
                            UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS the root deletes them
                            (a rollback that fails, UPDATE_ROLLBACK_FAILED, keeps them held
                            for ContinueUpdateRollback's cleanup phase, or for the root's
                            deletion, which runs them before deleting the tree)

Why: cleaning a child up when the child's update ended (as Stratus did) deleted the original
of a replaced resource before the root knew it would succeed, so a rollback had to create it
again, and a named queue cannot be created again within 60 s of its deletion
(QueueDeletedRecently): the rollback failed. Held cleanups live in memory: a server stopped
in between leaves the old resources undeleted (the root is UPDATE_ROLLBACK_FAILED at start
anyway), never deleted too early.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .model import Stack
from .store import Applied


@dataclass
class Cleanup:
    """What a successful stack update leaves to delete."""

    stack_id: str
    replaced: list[tuple[str, Applied]] = field(default_factory=list)
    removed: dict[str, Applied] = field(default_factory=dict)
    old_order: list[str] = field(default_factory=list)
    policies: dict[str, str] = field(default_factory=dict)


class DeferredCleanups:
    def __init__(self) -> None:
        self._held: dict[str, list[Cleanup]] = {}  # root stack id -> its tree's cleanups

    def hold(self, root_id: str, cleanup: Cleanup) -> None:
        self._held.setdefault(root_id, []).append(cleanup)

    def take(self, root_id: str) -> list[Cleanup]:
        """The root's held cleanups, in the order they were held (a child's before its
        parent's: a parent's update ends after its children's)."""
        return self._held.pop(root_id, [])

    async def wait_undo_replacements(
        self,
        child: Stack,
        current: dict[str, Applied],
        restore: Callable[[str, Applied], Awaitable[None]],
    ) -> None:
        """The child's held update is being rolled back: each replaced resource points at its
        original again (`restore`), and the replacement is held for deletion instead."""
        root_id = child.RootId or child.StackId
        held = self._held.get(root_id, [])
        mine = [c for c in held if c.stack_id == child.StackId]
        for cleanup in mine:
            held.remove(cleanup)
        undone = Cleanup(child.StackId)
        for cleanup in mine:
            for logical_id, original in cleanup.replaced:
                replacement = current.get(logical_id)
                if replacement is None or replacement.physical_id == original.physical_id:
                    continue
                await restore(logical_id, original)
                undone.replaced.append((logical_id, replacement))
        if undone.replaced:
            self.hold(root_id, undone)
