"""Ids drawn in bulk are still UUID version 4, unique, and not shared with forked children."""

import os
import uuid

from stratus import ids


def test_uuids_are_version_4_and_distinct():
    drawn = [ids.uuid4() for _ in range(2000)]  # several refills
    assert len(set(drawn)) == len(drawn)
    for text in drawn[:300]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_hex_tokens_have_the_length_asked():
    tokens = [ids.token_hex(6) for _ in range(600)]
    assert {len(t) for t in tokens} == {12}
    assert len(set(tokens)) == len(tokens)
    int(tokens[0], 16)


def test_a_forked_child_draws_ids_of_its_own():
    ids.uuid4()  # the parent's pool is filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id
        os.write(write, ids.uuid4().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    assert child != ids.uuid4()
    assert uuid.UUID(child).version == 4


def test_drawing_one_kind_leaves_the_other_pool_alone():
    # A server answering only Lambda Invokes draws UUIDs only; the hex pool must not grow
    # with them (it did: ~80 bytes kept per invoke, forever), nor the UUID pool with tokens.
    for _ in range(5000):
        ids.uuid4()
    for _ in range(5000):
        ids.token_hex(12)
    assert len(ids._hex_pool) <= 256
    assert len(ids._pool) <= 256
