"""HJ 212-2017 protocol, sans-I/O: CRC, frame codec, code tables, stream framing, session.

No sockets, no database, no files here (h11 style); ``envmon.ingest`` drives a
:class:`Session` per connection.
"""

from envmon.hj212.codec import (
    Packet,
    ack_9014,
    answer_9011,
    build_packet,
    decode,
    format_cp,
    history_request,
    make_qn,
    notice_9013,
    result_9012,
)
from envmon.hj212.codes import DATA_UPLOAD_CNS, to_2017
from envmon.hj212.crc import CRC_MODES, crc16, crc16_modbus, crc16_reference
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

__all__ = [
    "CRC_MODES",
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
