"""The supervisor's frame channel: frames whole and in order, and a bounded read-ahead."""

from __future__ import annotations

import asyncio
import socket
import threading

import orjson
import uvloop

from stratus.runtime.frames import FRAME, wait_connect

MIB = 1 << 20


def test_frames_written_while_nobody_waits_block_the_writer_then_arrive_in_order():
    """An environment writing 64 MiB of frames between invocations (user code can reach
    its control socket) is held back by the socket, not buffered in the server; once the
    supervisor waits again, the frames come out whole and in order."""
    ours, theirs = socket.socketpair()
    sent = [0]

    def write_frames() -> None:
        for n in range(64):
            raw = orjson.dumps({"n": n})
            theirs.sendall(FRAME.pack(len(raw), MIB) + raw + bytes([n]) * MIB)
            sent[0] += 1

    async def scenario() -> tuple[int, list[tuple[object, int]]]:
        channel = await wait_connect(ours)
        writer = threading.Thread(target=write_frames)
        writer.start()
        await asyncio.sleep(0.5)  # nobody waits for a frame meanwhile
        sent_while_idle = sent[0]
        got = []
        for _ in range(64):
            header, body = await channel.wait_frame()
            got.append((header["n"], len(set(body)) * len(body)))
        await asyncio.to_thread(writer.join)
        channel.close()
        return sent_while_idle, got

    sent_while_idle, got = uvloop.run(scenario())
    theirs.close()

    assert sent_while_idle < 8  # the socket's buffers and the read-ahead: a few MiB at most
    assert got == [(n, MIB) for n in range(64)]
