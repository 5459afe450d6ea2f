"""HJ 212-2017 and HJ 212-2025 protocol, sans-I/O (h11 style): no sockets, no database, no
files, no clock.  Every packet is read by its own version's rules (codec's docstring says what
of HJ 212-2025 is confirmed, and where).

* ``crc`` — the CRC of Appendix A (and the MODBUS variants some units send);
* ``framing`` — cuts a byte stream into frames (``FrameBuffer``), reporting what it discards;
* ``codec`` — one whole frame: length, encoding, CRC, then the data segment read by the small
  readers of ``readers``; builds frames and the platform's answers and requests;
* ``codes`` — CN/ST/flag/factor tables and the one 2005→2017 code map;
* ``events`` + ``session`` — one connection's state machine: bytes in, events out, every reply
  built on request (9014, 9013 + 1012), the platform's requests tracked by QN (9011/9012);
* ``jsonform`` — the JSON form of a packet that the CLI and the web share;
* ``sm4`` + ``encryption`` — HJ 212-2025's SM4-encrypted data region (keys are looked up per
  MN through a ``KeyLookup`` the caller gives ``decode``/``Session``).

``envmon.ingest`` drives a :class:`Session` per connection and judges packets with
``ingest.accept``.  A new field rule goes into ``readers``; a new reply or request into
``session``; a new code into ``codes``.
"""

from envmon.hj212.codec import (
    Packet,
    ack_9014,
    answer_9011,
    answer_flag,
    build_packet,
    decode,
    encode_packets,
    format_cp,
    history_request,
    make_qn,
    notice_9013,
    result_9012,
)
from envmon.hj212.codes import DATA_UPLOAD_CNS, to_2017
from envmon.hj212.crc import CRC_MODES, CrcMode, crc16, crc16_modbus, crc16_reference
from envmon.hj212.encryption import BAD_CIPHERTEXT, BAD_KEY, NO_KEY, RegionError
from envmon.hj212.events import (
    Discarded,
    Event,
    PacketReceived,
    RequestAnswered,
    RequestCompleted,
    SplitCompleted,
    SplitIncomplete,
)
from envmon.hj212.framing import Discard, FrameBuffer
from envmon.hj212.session import Session, ack
from envmon.hj212.sm4 import KeyLookup, parse_key, single_key

__all__ = [
    "BAD_CIPHERTEXT",
    "BAD_KEY",
    "KeyLookup",
    "NO_KEY",
    "RegionError",
    "answer_flag",
    "encode_packets",
    "parse_key",
    "single_key",
    "CRC_MODES",
    "CrcMode",
    "DATA_UPLOAD_CNS",
    "Discard",
    "Discarded",
    "Event",
    "FrameBuffer",
    "Packet",
    "PacketReceived",
    "RequestAnswered",
    "RequestCompleted",
    "Session",
    "SplitCompleted",
    "SplitIncomplete",
    "ack",
    "ack_9014",
    "answer_9011",
    "build_packet",
    "crc16",
    "crc16_modbus",
    "crc16_reference",
    "decode",
    "format_cp",
    "history_request",
    "make_qn",
    "notice_9013",
    "result_9012",
    "to_2017",
]
