"""FrameBuffer: cutting a TCP byte stream into HJ 212 frames (HJ 212-2017 §6.3, Table 2)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from envmon.hj212.codec import decode
from envmon.hj212.framing import Discard, FrameBuffer
from tests.hj212.helpers import MN, frame, upload

A = upload("DataTime=20160801080000;a21026-Avg=1.5,a21026-Flag=N")
B = upload("DataTime=20160801090000;a21026-Avg=2.5,a21026-Flag=N")
# HJ 212-2017 Appendix A example.
C = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
     b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n")


def frames_of(items):
    return [x for x in items if isinstance(x, bytes)]


def discards_of(items):
    return [x for x in items if isinstance(x, Discard)]


def test_one_frame():
    fb = FrameBuffer()
    assert fb.feed(C) == [C]
    assert fb.pending == 0 and fb.flush() == []


def test_several_frames_in_one_feed():
    fb = FrameBuffer()
    assert fb.feed(A + B + C) == [A, B, C]
    assert fb.pending == 0


def test_split_at_every_byte_boundary():
    stream = A + B + C
    for cut in range(len(stream) + 1):
        fb = FrameBuffer()
        out = fb.feed(stream[:cut]) + fb.feed(stream[cut:])
        assert out == [A, B, C], cut
        assert fb.pending == 0


def test_byte_by_byte():
    fb = FrameBuffer()
    out = []
    for i in range(len(A + C)):
        out += fb.feed((A + C)[i : i + 1])
    assert out == [A, C]


def test_garbage_between_frames():
    fb = FrameBuffer()
    out = fb.feed(b"\x00\xffnoise" + A + b"\r\n#x#" + B)
    assert frames_of(out) == [A, B]
    ds = discards_of(out)
    assert ds[0] == Discard(b"\x00\xffnoise", "garbage before '##'")
    # The trailing '#' of the garbage plus B's '##' read as '###': resync one byte later.
    assert b"".join(d.data for d in ds[1:]) == b"\r\n#x#"
    # Nothing lost: frames and discards together are the stream.
    assert b"".join(x if isinstance(x, bytes) else x.data for x in out) == (
        b"\x00\xffnoise" + A + b"\r\n#x#" + B)


def test_non_digit_length_resyncs_at_next_header():
    bad = b"##01a1QN=1;CP=&&&&0000\r\n"
    fb = FrameBuffer()
    out = fb.feed(bad + A)
    assert frames_of(out) == [A]
    [d] = discards_of(out)
    assert d.data == bad and "length" in d.reason and "01a1" in d.reason


def test_missing_crlf_at_expected_offset():
    no_crlf = A[:-2]
    fb = FrameBuffer()
    out = fb.feed(no_crlf + B)
    assert frames_of(out) == [B]
    [d] = discards_of(out)
    assert d.data == no_crlf and d.reason.startswith("trailer: no CR LF")


def test_wrong_declared_length_resyncs():
    longer = b"##0999" + A[6:]
    fb = FrameBuffer()
    out = fb.feed(longer + B + b"x" * 1100)
    assert B in frames_of(out)
    assert discards_of(out)[0].data == longer


def test_oversize_declared_length_discarded():
    fb = FrameBuffer(max_segment=1024)
    big = frame("x" * 1500)
    out = fb.feed(big + A)
    assert frames_of(out) == [A]
    assert "1500 > maximum 1024" in discards_of(out)[0].reason
    assert FrameBuffer().feed(big) == [big]  # default 9999 accepts it


def test_partial_header_kept_and_flushed():
    fb = FrameBuffer()
    assert fb.feed(b"junk#") == [Discard(b"junk", "no '##' header")]
    assert fb.pending == 1
    assert fb.feed(A[1:]) == [A]  # the kept '#' was the first half of '##'
    assert fb.feed(A[:50]) == []
    assert fb.pending == 50
    [d] = fb.flush()
    assert d.data == A[:50] and "end of stream" in d.reason
    assert fb.pending == 0 and fb.flush() == []


def test_triple_hash_resyncs_one_byte_later():
    fb = FrameBuffer()
    out = fb.feed(b"#" + A)
    assert frames_of(out) == [A]


def test_character_counted_length_tolerated():
    seg = f"QN=20160801090000001;ST=32;CN=3020;PW=123456;MN={MN};Flag=4;CP=&&PolId=排口一&&"
    by_chars = frame(seg, length=f"{len(seg):04d}")
    stream = by_chars + A
    for cut in range(len(stream) + 1):
        fb = FrameBuffer()
        out = fb.feed(stream[:cut]) + fb.feed(stream[cut:])
        assert out == [by_chars, A], cut
    assert decode(by_chars).ok


@given(st.lists(st.binary(max_size=64), max_size=20))
@settings(max_examples=300)
def test_arbitrary_bytes_never_crash(chunks):
    fb = FrameBuffer(max_segment=64)
    out = []
    for chunk in chunks:
        out += fb.feed(chunk)
        assert fb.pending <= 64 * 4 + 12 + sum(map(len, chunks))
    out += fb.flush()
    assert fb.pending == 0
    # Framing loses nothing: frames and discards are the stream, in order.
    assert b"".join(x if isinstance(x, bytes) else x.data for x in out) == b"".join(chunks)
    for x in out:
        if isinstance(x, bytes):
            assert x.startswith(b"##") and x.endswith(b"\r\n")
            decode(x)


@given(st.lists(st.sampled_from([A, B, C, b"garbage", b"##", b"\r\n", b"##00"]), max_size=12),
       st.integers(min_value=1, max_value=40))
def test_valid_frames_survive_garbage(parts, chunk):
    stream = b"".join(parts)
    fb = FrameBuffer()
    out = []
    for i in range(0, len(stream), chunk):
        out += fb.feed(stream[i : i + chunk])
    out += fb.flush()
    assert b"".join(x if isinstance(x, bytes) else x.data for x in out) == stream
    got = frames_of(out)
    # Every emitted frame is one of the valid ones; garbage never spoils a following frame
    # unless it is a partial header that swallowed it (a stray '##' or '##00' prefix).
    assert all(f in (A, B, C) for f in got if decode(f).ok)
    clean = [p for i, p in enumerate(parts) if p in (A, B, C)
             and (i == 0 or parts[i - 1] in (A, B, C, b"garbage", b"\r\n"))]
    for p in clean:
        assert p in got
