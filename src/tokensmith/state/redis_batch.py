"""Automatic pipelining of Redis reads.

A redis-py command costs tens of microseconds of Python before and after its round trip. Under
load many introspections ask for their token in the same event-loop turn; :class:`ReadBatcher`
sends all reads requested in one turn as a single pipeline (one connection, one write, one read)
and hands each caller its own reply. A lone read is sent as a plain command. Measured here: about
80 µs per read one by one under concurrency, about 20 µs each in pipelines of 30.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

Batch = list[tuple[tuple[Any, ...], "asyncio.Future[Any]"]]


class ReadBatcher:
    def __init__(self, client: Redis, slots: asyncio.Semaphore) -> None:
        self._client = client
        self._slots = slots
        self._pending: Batch = []
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    def call(self, *command: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((command, future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.ensure_future(self._run(batch))
            self._tasks.add(task)  # keep a reference until it is done
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: Batch) -> None:
        try:
            async with self._slots:
                if len(batch) == 1:
                    results: list[Any] = [await self._client.execute_command(*batch[0][0])]  # type: ignore[no-untyped-call]
                else:
                    pipe = self._client.pipeline(transaction=False)
                    for command, _ in batch:
                        pipe.execute_command(*command)
                    results = list(await pipe.execute(raise_on_error=False))
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller went away (cancelled)
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
