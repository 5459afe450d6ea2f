"""Stream framing: cut a TCP byte stream into HJ 212 frames (h11 ``_receivebuffer`` style).

HJ 212-2017 §6.3, Table 2: ``"##" | LLLL | data segment (LLLL bytes) | CCCC | CR LF``.
The buffer only frames: it finds ``##``, reads four decimal digits, and expects the CRC and
CR LF exactly ``LLLL`` bytes later.  Any mismatch resynchronises at the next ``##`` and the
skipped bytes come back as :class:`Discard` so the I/O layer can keep them in the raw log
(reference §1 "Stream framing").  Nothing is parsed here: CRC and syntax are codec.decode's job.

One tolerance (reference §12, Java peers): when the data segment holds non-ASCII text and its
length was counted in characters rather than UTF-8 bytes, the frame ends later than declared;
it is accepted if the CR LF found further on closes a segment of exactly LLLL characters.

A second one (HJ 212-2025 Appendix A.2): the standard's encrypted examples declare the length
of the plaintext segment (``##0295`` for 1 128 characters sent, the ciphertext written as
``{0xE4,…}`` is about five times the plaintext).  When the segment declared holds
``CP=&&{`` and no CR LF follows it, the frame is taken to end at the first ``&&`` + 4 CRC
characters + CR LF further on, within the bound of :attr:`FrameBuffer.max_pending`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Discard", "FrameBuffer"]

_HEADER = b"##"
_CRLF = b"\r\n"
_TAIL = 6  # CCCC + CR LF
_MAX_UTF8 = 4  # bytes per character, upper bound for the character-count tolerance


@dataclass(frozen=True, slots=True)
class Discard:
    """Bytes skipped while resynchronising, with the reason (for the raw log and counters)."""

    data: bytes
    reason: str


class FrameBuffer:
    """Accumulate received bytes; :meth:`feed` returns complete frames and discarded garbage.

    Frames are returned as bytes including the trailing CR LF, in stream order.  A declared
    length above ``max_segment`` (default 9999, all four digits can express) is discarded.
    """

    __slots__ = ("_buf", "max_segment")

    def __init__(self, max_segment: int = 9999) -> None:
        self._buf = bytearray()
        self.max_segment = max_segment

    @property
    def pending(self) -> int:
        """Bytes buffered and not yet returned (so the I/O layer can bound its buffers)."""
        return len(self._buf)

    @property
    def max_pending(self) -> int:
        """The most that can stay buffered after :meth:`feed`: one frame still arriving, its
        length possibly counted in characters (see the module doc). An I/O layer that holds
        more than this for one peer is being fed something no frame can become."""
        return 6 + _MAX_UTF8 * self.max_segment + _TAIL

    def feed(self, data: bytes) -> list[bytes | Discard]:
        """Add received bytes; return the frames and discards now complete, in order."""
        buf = self._buf
        buf += data
        out: list[bytes | Discard] = []
        pos = 0
        end_of_buf = len(buf)
        while pos < end_of_buf:
            if buf[pos : pos + 2] != _HEADER:
                start = buf.find(_HEADER, pos)
                if start < 0:
                    # Keep a trailing '#': it may be the first half of the next header.
                    keep = 1 if buf[-1] == 0x23 else 0
                    if end_of_buf - keep > pos:
                        out.append(Discard(bytes(buf[pos : end_of_buf - keep]), "no '##' header"))
                    pos = end_of_buf - keep
                    break
                out.append(Discard(bytes(buf[pos:start]), "garbage before '##'"))
                pos = start
            if end_of_buf - pos < 6:
                break  # wait for the length field
            len_field = bytes(buf[pos + 2 : pos + 6])
            if not len_field.isdigit():
                pos = self._skip(out, pos, f"length: {len_field!r} is not 4 digits")
                continue
            length = int(len_field)
            if length > self.max_segment:
                pos = self._skip(
                    out, pos, f"length: declared {length} > maximum {self.max_segment}"
                )
                continue
            end = pos + 6 + length + _TAIL
            if end_of_buf < end:
                break  # wait for the rest of the frame
            if buf[end - 2 : end] == _CRLF:
                out.append(bytes(buf[pos:end]))
                pos = end
                continue
            # Character-count length with non-ASCII content, or an encrypted frame whose
            # length counts its plaintext (both tolerated, see module doc).
            wide = self._char_counted_end(pos, length)
            if wide is None:
                wide = self._plaintext_counted_end(pos, length)
            if wide == -1:
                break  # the frame may still be arriving
            if wide is not None:
                out.append(bytes(buf[pos:wide]))
                pos = wide
                continue
            pos = self._skip(out, pos, f"trailer: no CR LF at offset {6 + length + 4}")
        if pos:
            del buf[:pos]
        return out

    def flush(self) -> list[Discard]:
        """End of stream: whatever is buffered is an incomplete frame."""
        if not self._buf:
            return []
        data = bytes(self._buf)
        self._buf.clear()
        return [Discard(data, "end of stream inside a frame")]

    def _skip(self, out: list[bytes | Discard], pos: int, reason: str) -> int:
        """Discard from ``pos`` up to the next ``##`` (or the end of the buffer)."""
        buf = self._buf
        nxt = buf.find(_HEADER, pos + 1)
        if nxt < 0:
            nxt = len(buf) - 1 if buf[-1] == 0x23 else len(buf)
        out.append(Discard(bytes(buf[pos:nxt]), reason))
        return nxt

    def _plaintext_counted_end(self, pos: int, length: int) -> int | None:
        """End offset if the frame is encrypted and LLLL counts the plaintext; None if not;
        -1 to wait."""
        buf = self._buf
        seg_start = pos + 6
        if buf.find(b"CP=&&{", seg_start, seg_start + length) < 0:
            return None
        limit = min(seg_start + _MAX_UTF8 * self.max_segment, seg_start + 6 * length) + _TAIL
        at = seg_start + length
        while True:
            crlf = buf.find(_CRLF, at, limit)
            if crlf < 0:
                return -1 if len(buf) < limit else None
            if buf[crlf - 6 : crlf - 4] == b"&&" and buf.find(b"##", seg_start, crlf) < 0:
                return crlf + 2
            if buf.find(b"##", seg_start, crlf) >= 0:
                return None
            at = crlf + 2

    def _char_counted_end(self, pos: int, length: int) -> int | None:
        """End offset if the frame's LLLL counts characters; None if not; -1 to wait."""
        buf = self._buf
        seg_start = pos + 6
        if buf[seg_start : seg_start + length].isascii():
            return None
        limit = seg_start + _MAX_UTF8 * length + _TAIL
        crlf = buf.find(_CRLF, seg_start + length + 4, limit)
        if crlf < 0:
            return -1 if len(buf) < limit else None
        try:
            text = bytes(buf[seg_start : crlf - 4]).decode("utf-8")
        except UnicodeDecodeError:
            return None
        return crlf + 2 if len(text) == length else None
