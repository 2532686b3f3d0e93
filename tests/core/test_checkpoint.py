"""Checkpoints: versioned gzip JSON with an integrity hash and the source identity; corrupt,
truncated or foreign blobs are rejected with one clear message; size does not grow with input."""

from __future__ import annotations

import gzip
import json

import pytest

from jsonm_core.checkpoint import MAGIC, CheckpointError, pack_checkpoint, unpack_checkpoint
from jsonm_core.engine import Engine
from jsonm_core.report import without_run

SRC = {"bucket": "cold", "key": "big.json", "version_id": None, "etag": '"abc"', "size": 12345}


def records(n: int, start: int = 0) -> bytes:
    return b"".join(b'{"id": %d, "name": "user%d", "v": %d.5}\n' % (i, i % 50, i) for i in range(start, start + n))


def blob_after(data: bytes, source=SRC, **kw) -> tuple[bytes, int]:
    e = Engine(source=source, **kw)
    e.feed(data)
    return e.checkpoint(), e.resume_offset


def test_checkpoint_blob_is_versioned_gzip_json_with_hash_and_source():
    blob, _ = blob_after(records(10))
    assert blob.startswith(MAGIC)
    env = json.loads(gzip.decompress(blob[len(MAGIC):]))
    assert env["schema"] == "jsonm.checkpoint" and env["version"] == 1
    assert len(env["sha256"]) == 64
    assert env["source"] == {"bucket": "cold", "key": "big.json", "etag": '"abc"', "size": 12345}
    assert env["state"]["position"] == len(records(10))


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:len(b) // 2], "truncated or corrupt"),
    (lambda b: b"XXXXXXXX" + b[8:], "bad magic"),
    (lambda b: b[:-9] + bytes([b[-9] ^ 0xFF]) + b[-8:], "truncated or corrupt"),
    (lambda b: b"", "bad magic"),
])
def test_corrupt_or_truncated_checkpoints_are_rejected(damage, message):
    blob, _ = blob_after(records(10))
    with pytest.raises(CheckpointError, match=message):
        Engine.resume(damage(blob), source=SRC)


def test_a_modified_state_fails_the_integrity_check():
    blob, _ = blob_after(records(10))
    env = json.loads(gzip.decompress(blob[len(MAGIC):]))
    env["state"]["records"] += 1
    forged = MAGIC + gzip.compress(json.dumps(env).encode())
    with pytest.raises(CheckpointError, match="integrity"):
        Engine.resume(forged, source=SRC)


def test_a_foreign_checkpoint_is_rejected_with_the_differing_fields():
    blob, _ = blob_after(records(10))
    other = dict(SRC, etag='"def"', size=999)
    with pytest.raises(CheckpointError, match="another source.*etag, size"):
        Engine.resume(blob, source=other)


def test_unknown_version_is_rejected():
    blob, _ = blob_after(records(3))
    env = json.loads(gzip.decompress(blob[len(MAGIC):]))
    env["version"] = 99
    with pytest.raises(CheckpointError, match="unsupported checkpoint version 99"):
        unpack_checkpoint(MAGIC + gzip.compress(json.dumps(env).encode()))


def test_malformed_state_with_a_valid_hash_is_rejected_cleanly():
    blob = pack_checkpoint({"position": 3}, None)
    with pytest.raises(CheckpointError, match="malformed"):
        Engine.resume(blob)


def test_presigned_url_changes_do_not_make_a_checkpoint_foreign():
    src = dict(SRC, url="https://x/big.json?X-Amz-Signature=1")
    blob, off = blob_after(records(10), source=src)
    resumed = Engine.resume(blob, source=dict(src, url="https://x/big.json?X-Amz-Signature=2", expires_at="later"))
    assert resumed.resume_offset == off


def test_resume_gives_the_identical_report():
    data = records(2000)
    full = Engine(source=SRC)
    full.feed(data)
    want = without_run(full.finish())
    e = Engine(source=SRC, checkpoint_every=10_000)
    blobs = []
    for i in range(0, len(data), 4096):
        e.feed(data[i:i + 4096])
        if e.checkpoint_due:
            blobs.append(e.checkpoint())
    assert len(blobs) > 5
    for blob in blobs[::3]:
        r = Engine.resume(blob, source=SRC)
        r.feed(data[r.resume_offset:])
        assert without_run(r.finish()) == want


def test_a_finished_checkpoint_resumes_to_the_final_report():
    e = Engine(source=SRC)
    e.feed(records(5))
    want = without_run(e.finish())
    r = Engine.resume(e.checkpoint(), source=SRC)
    assert without_run(r.finish()) == want


def test_checkpoint_size_does_not_grow_with_the_input():
    small, _ = blob_after(records(1000))
    big, _ = blob_after(records(50_000))
    assert len(big) < 2 * len(small) + 4096
    assert len(big) < 64 << 10


def test_sketch_hashes_are_portable_across_runtimes():
    """Pinned values: the built-in hash() differs on wasm32 Pyodide, these must not (checkpoints
    and part reports move between CPython staging and browser workers)."""
    from jsonm_core._profile import num_hash, str_hash
    assert [num_hash(v) for v in (0, 1, -1, 2 ** 70, 0.5, 1e300, float("inf"))] == \
        [1540483477, 3320221740, 2972619027, 3918698880, 661451494, 3805988259, 524114809]
    assert num_hash(1.0) == num_hash(1) and num_hash(-0.0) == num_hash(0)
    assert str_hash("é☃") == 1069278687


def test_checkpoint_inside_a_record_larger_than_the_buffer_falls_back_to_the_last_boundary():
    data = b'[{"a": "' + b"x" * 5000 + b'"}, 2, {"b": "' + b"y" * 5000 + b'"}]'
    full = Engine(buffer_size=1024)
    full.feed(data)
    want = without_run(full.finish())
    for cut, expect in ((3000, 0), (8000, data.index(b'{"b"'))):
        e = Engine(buffer_size=1024)
        e.feed(data[:cut])
        blob = e.checkpoint()
        assert e.resume_offset == expect      # the start of the long record being streamed
        r = Engine.resume(blob)
        r.feed(data[r.resume_offset:])
        assert without_run(r.finish()) == want
