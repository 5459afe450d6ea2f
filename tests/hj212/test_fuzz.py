"""Fuzzing the protocol layer (hypothesis, bounded): codec, framing and session on hostile bytes.

What must hold for any input a peer can send:
* `codec.decode` never raises and never fails inside ("internal"); a packet is either ok or
  carries `error` and `error_field` naming what is wrong;
* `FrameBuffer` loses no byte: frames, discards and what it still holds are the input, in
  order; what it holds stays within `max_pending`;
* `Session.receive`, fed in any chunking, never raises, keeps `pending` within
  `max_pending`, and still finds a valid frame embedded in garbage.

Valid frames come from the public packets (tests/hj212/data) and the receiver tests; mutated
ones are re-framed (length and CRC made right again) so that the mutation reaches the parser.
Each test is bounded by `max_examples`; the whole file runs in a few seconds.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envmon.hj212.codec import decode
from envmon.hj212.crc import CRC_MODES
from envmon.hj212.events import Discarded, PacketReceived
from envmon.hj212.framing import Discard, FrameBuffer
from envmon.hj212.session import Session
from tests.hj212.helpers import frame
from tests.hj212.test_public_packets import PACKETS
from tests.ingest.conftest import hour, hourly_packet

FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Wire frames that pass the strict CRC and the declared length, plus a full hourly upload.
VALID = [raw + b"\r\n" for src, raw in PACKETS if "CRC_OK(HJ212)" in src and "LEN_OK" in src]
VALID.append(hourly_packet(hour(8)))
SEGMENTS = [f[6:-6] for f in VALID]
SMALL_SEGMENT = 64  # a session with small frames, so that the bounds are reached quickly


def check_packet(packet) -> None:
    assert packet.error_field != "internal", packet.error
    if packet.ok:
        assert packet.error is None and packet.error_field is None
    else:
        assert packet.error and packet.error_field, packet


@st.composite
def mutated(draw, base: bytes, max_edits: int = 4) -> bytes:
    """`base` with a few bytes replaced, inserted or deleted (interesting bytes favoured)."""
    data = bytearray(base)
    interesting = st.sampled_from(b"#&;,=-\r\n0123456789.eE+\x00\xff")
    for _ in range(draw(st.integers(1, max_edits))):
        pos = draw(st.integers(0, len(data)))
        byte = draw(st.one_of(interesting, st.integers(0, 255)))
        how = draw(st.sampled_from(["replace", "insert", "delete"]))
        if how == "insert" or pos == len(data):
            data.insert(pos, byte)
        elif how == "replace":
            data[pos] = byte
        else:
            del data[pos]
    return bytes(data)


def chunks(draw_sizes: list[int], data: bytes) -> list[bytes]:
    out, pos = [], 0
    for size in draw_sizes:
        out.append(data[pos : pos + size])
        pos += size
    out.append(data[pos:])
    return out


# -- codec ---------------------------------------------------------------------------------
@FUZZ
@given(st.binary(max_size=600))
def test_decode_of_arbitrary_bytes_is_a_packet_or_a_clear_error(data):
    for modes in (("hj212",), CRC_MODES):
        check_packet(decode(data, modes))
        check_packet(decode(b"##" + data, modes))


@FUZZ
@given(st.sampled_from(VALID).flatmap(mutated))
def test_decode_of_a_mutated_frame_is_a_packet_or_a_clear_error(data):
    check_packet(decode(data, CRC_MODES))


@FUZZ
@given(st.sampled_from(SEGMENTS).flatmap(lambda seg: mutated(seg, 6)))
def test_a_mutated_segment_in_a_right_frame_is_a_packet_or_a_clear_error(segment):
    # Length and CRC right again: the mutation reaches the field parser.
    packet = decode(frame(segment))
    assert packet.crc_ok
    check_packet(packet)


# -- framing -------------------------------------------------------------------------------
stream_parts = st.lists(
    st.one_of(st.binary(max_size=40), st.sampled_from(VALID),
              st.sampled_from(VALID).flatmap(mutated),
              st.sampled_from([b"##", b"#", b"##00", b"##9999", b"\r\n", b"\xe4\xb8\xad"])),
    max_size=8)


@FUZZ
@given(stream_parts, st.lists(st.integers(0, 200), max_size=8))
def test_framing_loses_no_byte_and_stays_bounded(parts, sizes):
    stream = b"".join(parts)
    frames = FrameBuffer(max_segment=SMALL_SEGMENT * 40)
    out: list[bytes] = []
    for chunk in chunks(sizes, stream):
        for item in frames.feed(chunk):
            out.append(item.data if isinstance(item, Discard) else item)
        assert frames.pending <= frames.max_pending
    held = frames.pending
    tail = [d.data for d in frames.flush()]
    assert b"".join(out + tail) == stream
    assert len(b"".join(tail)) == held


# -- session -------------------------------------------------------------------------------
@FUZZ
@given(stream_parts, st.lists(st.integers(0, 200), max_size=8),
       st.sampled_from([SMALL_SEGMENT, 9999]))
def test_session_on_any_stream_never_raises_and_stays_bounded(parts, sizes, max_segment):
    session = Session(crc_modes_for=lambda mn: CRC_MODES, max_segment=max_segment,
                      max_split_groups=4, max_requests=4)
    for chunk in chunks(sizes, b"".join(parts)):
        for event in session.receive(chunk):
            if isinstance(event, PacketReceived):
                check_packet(event.packet)
            elif isinstance(event, Discarded):
                assert event.data and event.reason
        assert session.pending <= session.max_pending
    for event in session.close():
        assert not isinstance(event, PacketReceived)
    assert session.pending == 0


@FUZZ
@given(st.binary(max_size=300).filter(lambda g: b"##" not in g), st.sampled_from(VALID),
       st.binary(max_size=300), st.lists(st.integers(0, 120), max_size=6))
def test_a_valid_frame_in_garbage_is_still_found(before, good, after, sizes):
    """Garbage before (without a '##' header of its own) and any garbage after, in any
    chunking: the frame comes out whole and ok."""
    session = Session()
    found = []
    for chunk in chunks(sizes, before + good + after):
        found += [e.packet for e in session.receive(chunk) if isinstance(e, PacketReceived)]
    found += [e.packet for e in session.close() if isinstance(e, PacketReceived)]
    assert any(p.raw == good and p.ok for p in found), [p.error for p in found]


# Header and CP tokens, so that framed soups reach splits (PNUM/PNO) and answers (9011/9012).
TOKENS = ["QN=20160801085857223", "QN=", "ST=32", "ST=91", "CN=2061", "CN=9011", "CN=9012",
          "CN=1013", "PW=123456", "MN=010000A8900016F000169DC0", "MN=", "Flag=5", "Flag=7",
          "Flag=-1", "Flag=99999999999999999999", "PNUM=2", "PNUM=0", "PNUM=99999", "PNO=1",
          "PNO=2", "PNO=0", "PNO=-1", "CP=&&", "&&", "DataTime=20160801080000",
          "DataTime=99991231235959", "DataTime=00000000000000", "a21026-Avg=1.5",
          "a21026-Avg=1e309", "a21026-Avg=nan", "a21026-Flag=N", "QnRtn=1", "ExeRtn=1", ",", ";",
          "=", "-", "x", "中", "\x00"]


@FUZZ
@given(st.lists(st.lists(st.sampled_from(TOKENS), max_size=14).map(";".join), max_size=12))
def test_session_on_framed_token_soups_keeps_its_bounds(segments):
    session = Session(max_split_groups=2, max_requests=2)
    for segment in segments:
        for event in session.receive(frame(segment)):
            if isinstance(event, PacketReceived):
                check_packet(event.packet)
        assert len(session.outstanding) <= 2 and session.pending == 0
    session.close()


def test_a_repeated_unknown_header_field_is_a_header_error():
    """Found by the soup test: '=;=' gave the error field '' (and any made-up name repeated
    became the error field, one rejection counter per name an attacker invents)."""
    for head, field in (("=;=", "header"), ("Zz9=1;Zz9=2", "header"), ("ST=32;ST=31", "ST")):
        packet = decode(frame(f"{head};CP=&&&&"))
        assert (packet.ok, packet.error_field) == (False, field), packet.error
    assert "field 'Zz9' repeated" in decode(frame("Zz9=1;Zz9=2;CP=&&&&")).error
