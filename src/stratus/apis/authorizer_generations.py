"""The generation of each stage's cached authorizer answers, for REST and HTTP APIs alike.

The gateway keys every cached Lambda authorizer answer with its stage's generation
(gateway/lambda_authorizer.py, gateway/rest_authorizer.py): a new generation makes every
older answer unreadable, and they age out of that cache. FlushStageAuthorizersCache (REST)
and ResetAuthorizersCache (HTTP) give a stage a new one.

Every generation is drawn from one counter, so none is handed out twice. A stage never
flushed has the *floor* generation. Deleting a stage or an API drops its entries and raises
the floor past every generation handed out: a stage made again under the same names (API
ids can be chosen with the `_custom_id_` tag; stage names always can) must not read answers
cached before the deletion, as it would if its generation restarted at 0 or stayed where
it was. The cost: every never-flushed stage's cached answers are dropped on any deletion,
and refilled by the next requests. So entries are kept only for flushed stages that exist.
"""

from __future__ import annotations

import itertools


class AuthorizerGenerations:
    def __init__(self) -> None:
        self._drawn = itertools.count(1)
        self._floor = 0
        self._flushed: dict[tuple[str, str], int] = {}  # (API id, stage) -> generation

    def __len__(self) -> int:
        """How many stages have a generation of their own (flushed, not deleted)."""
        return len(self._flushed)

    def of(self, api_id: str, stage: str) -> int:
        return self._flushed.get((api_id, stage), self._floor)

    def flush(self, api_id: str, stage: str) -> None:
        self._flushed[(api_id, stage)] = next(self._drawn)

    def forget(self, api_id: str, stage: str | None = None) -> None:
        """The stage (or, without one, every stage of the API) was deleted."""
        for key in [k for k in self._flushed if k[0] == api_id and stage in (None, k[1])]:
            del self._flushed[key]
        self._floor = next(self._drawn)
