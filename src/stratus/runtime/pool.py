"""Warm execution environments, kept per function version and reused one invocation at a time.

An environment is either busy (lent out by `wait_acquire`) or idle in its version's list.
Idle ones are reused most-recently-used first, so the least used age out; `wait_reap_forever`
stops those idle for longer than the idle limit. Environments of an older revision (the
function was updated) are never reused.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

from stratus.runtime.environment import Environment
from stratus.runtime.launcher import InitFailure
from stratus.runtime.launching import Launcher, Reporter
from stratus.runtime.spec import FunctionSpec

REAP_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class PoolStatistics:
    idle: int
    busy: int
    launched: int
    reused: int


class EnvironmentPool:
    def __init__(self, launcher: Launcher, idle_seconds: float) -> None:
        self._launcher = launcher
        self._idle_seconds = idle_seconds
        self._idle: dict[tuple[str, str, str], list[Environment]] = defaultdict(list)
        self._busy: set[Environment] = set()
        self._launched = 0
        self._reused = 0

    def has_warm(self, spec: FunctionSpec) -> bool:
        """Whether wait_acquire would hand out an idle environment (without starting one)."""
        idle = self._idle.get(spec.pool_key)
        return bool(idle and idle[-1].alive)

    async def wait_acquire(
        self,
        spec: FunctionSpec,
        capture: list[str] | None = None,
        request_id: str = "",
        init_limit_s: float | None = None,
    ) -> tuple[Environment | InitFailure, bool]:
        """An environment for `spec` and whether it is new (cold), or the init failure
        (`init_limit_s`: as Launcher.wait_launch's)."""
        idle = self._idle.get(spec.pool_key)
        while idle:
            env = idle.pop()
            if env.alive:
                self._reused += 1
                self._busy.add(env)
                env.capture = capture
                return env, False
            await env.wait_kill()
        self._launched += 1
        launched = await self._launcher.wait_launch(
            spec, capture, request_id, init_limit_s=init_limit_s
        )
        if isinstance(launched, Environment):
            self._busy.add(launched)
        return launched, True

    def release(self, env: Environment) -> None:
        self._busy.discard(env)
        env.capture = None
        if env.alive:
            env.last_used = time.monotonic()
            self._idle[env.spec.pool_key].append(env)

    async def wait_discard(self, env: Environment) -> None:
        self._busy.discard(env)
        await env.wait_kill()

    async def wait_retire(
        self, name: str, keep_revision: str | None = None, version: str | None = None
    ) -> None:
        """Stop the idle environments of a function: all, all but one revision, or those of
        one version."""
        for key in [
            k
            for k in self._idle
            if k[0] == name and k[2] != keep_revision and version in (None, k[1])
        ]:
            for env in self._idle.pop(key):
                await env.wait_kill()
        await self._launcher.wait_retire(name, keep_revision, version)

    def prepare(self, spec: FunctionSpec, report: Reporter | None = None) -> None:
        """Get ready to start environments of `spec` fast (take its snapshot now)."""
        self._launcher.prepare(spec, report)

    async def wait_reap_forever(self) -> None:
        while True:
            await asyncio.sleep(REAP_EVERY_S)
            await self.wait_reap(time.monotonic())

    async def wait_provision(self, spec: FunctionSpec, count: int) -> list[InitFailure]:
        """Start environments until `count` provisioned ones exist for `spec`; their init
        runs now, not on the first invoke. Returns the init failures, if any."""
        missing = count - self.provisioned(spec.pool_key)
        launched = await asyncio.gather(
            *(
                self._launcher.wait_launch(spec, init_type="provisioned-concurrency")
                for _ in range(max(missing, 0))
            )
        )
        failures = [env for env in launched if isinstance(env, InitFailure)]
        for env in launched:
            if isinstance(env, Environment):
                self._launched += 1
                env.provisioned = True
                self._idle[spec.pool_key].append(env)
        return failures

    def provisioned(self, key: tuple[str, str, str]) -> int:
        live = [*self._idle.get(key, ()), *(e for e in self._busy if e.spec.pool_key == key)]
        return sum(1 for env in live if env.provisioned and env.alive)

    async def wait_unprovision(self, key: tuple[str, str, str], keep: int) -> None:
        """Down to `keep` provisioned environments; busy ones become ordinary (reapable)."""
        extra = self.provisioned(key) - keep
        for env in [e for e in self._idle.get(key, []) if e.provisioned][: max(extra, 0)]:
            self._idle[key].remove(env)
            extra -= 1
            await env.wait_kill()
        for env in [e for e in self._busy if e.spec.pool_key == key and e.provisioned]:
            if extra <= 0:
                break
            env.provisioned = False
            extra -= 1

    def provisioned_keys(self) -> set[tuple[str, str, str]]:
        live = [*(e for envs in self._idle.values() for e in envs), *self._busy]
        return {env.spec.pool_key for env in live if env.provisioned}

    async def wait_reap(self, now: float) -> None:
        for key, envs in list(self._idle.items()):
            expired = [
                e
                for e in envs
                if not e.alive or (not e.provisioned and now - e.last_used > self._idle_seconds)
            ]
            for env in expired:
                envs.remove(env)
                await env.wait_kill()
            if not envs:
                self._idle.pop(key, None)

    async def wait_close(self) -> None:
        everything = [e for envs in self._idle.values() for e in envs] + list(self._busy)
        self._idle.clear()
        self._busy.clear()
        await asyncio.gather(*(env.wait_kill() for env in everything))
        await self._launcher.wait_close()

    def statistics(self) -> PoolStatistics:
        idle = sum(len(envs) for envs in self._idle.values())
        return PoolStatistics(idle, len(self._busy), self._launched, self._reused)
