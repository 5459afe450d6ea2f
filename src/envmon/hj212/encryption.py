"""The encrypted data region of HJ 212-2025 (§6.4.2, Appendix A.2): cut, write, read back.

What the standard says (confirmed against the A.2 examples, see :mod:`envmon.hj212.codec`):
the characters between ``CP=&&`` and the closing ``&&`` are encrypted with SM4-ECB, no
padding, every 16 characters one block; a tail shorter than 16 stays plaintext.  The
ciphertext is written as hex bytes in braces, ``{0xE4,0x3E,…}``.  The CRC is computed on the
plaintext data segment before encryption.  Two renderings of the tail circulate and both
are read: the A.2 print puts the plaintext tail after the braces (``{…,0xA4}g=N``); another
reading writes the tail's bytes hex-encoded inside the braces (``{…,0xA4,0x67,0x3D,0x4E}``):
a byte count that is not a multiple of 16 tells the two apart.

Blocks are cut over the UTF-8 bytes of the region (the project rule of reference §1: lengths
are UTF-8 bytes); for the ASCII regions of every published example bytes and characters agree.

A region that cannot be read is a :class:`RegionError` with one of three codes:

* ``no_key`` — the platform has no key for the MN (the codec raises it, not this module);
* ``bad_ciphertext`` — the written form is not ``{0xHH,…}`` (a non-hex item, no closing
  brace, less than one block, both tail renderings at once), or the key decrypts some blocks
  to text and others to garbage (a block was altered on the way);
* ``bad_key`` — not one block decrypts to printable text: SM4 with another key gives random
  bytes, and 16 random bytes are all printable ASCII with probability (95/256)^16 ≈ 1e-7.
  A region of a single block that was altered looks the same (nothing tells the two apart
  without a MAC) and reads as ``bad_key``.

A region that decrypts to text whose CRC does not match is a CRC error (the codec's job).
Nothing here logs or keeps plaintext: the decrypted text goes back to the caller only.
"""

from __future__ import annotations

from envmon.hj212.sm4 import BLOCK, decrypt_blocks, encrypt_blocks

__all__ = [
    "BAD_CIPHERTEXT",
    "BAD_KEY",
    "NO_KEY",
    "RegionError",
    "decrypt_region",
    "encrypt_region",
    "is_encrypted",
]

NO_KEY = "no_key"
BAD_KEY = "bad_key"
BAD_CIPHERTEXT = "bad_ciphertext"

_ASCII_TEXT = bytes(range(0x20, 0x7F))


class RegionError(Exception):
    """Why an encrypted data region could not be read: ``code`` is no_key, bad_key or
    bad_ciphertext; ``detail`` says more, never quoting plaintext."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def is_encrypted(area: str) -> bool:
    """A data region in the written ciphertext form (it starts with ``{``; a plaintext
    region starts with a field name)."""
    return area[:1] == "{"


def encrypt_region(plain: str, key: bytes, tail: str = "after") -> str:
    """The written form of ``plain`` encrypted with ``key``.

    ``tail="after"`` writes a plaintext tail after the braces as the A.2 print does; when the
    tail's bytes are not text on their own (a multi-byte character cut by the block
    boundary) or ``tail="inside"``, its bytes go hex-encoded inside the braces.  A region
    shorter than one block has nothing to encrypt and is returned as it is.
    """
    data = plain.encode("utf-8")
    cut = len(data) - len(data) % BLOCK
    if cut == 0:
        return plain
    written = encrypt_blocks(key, data[:cut])
    rest = data[cut:]
    after = ""
    if rest:
        try:
            after = rest.decode("utf-8") if tail == "after" else ""
        except UnicodeDecodeError:
            after = ""
        if not after:
            written += rest
    return "{" + ",".join([f"0x{b:02X}" for b in written]) + "}" + after


def _hex_items(inner: str) -> bytes:
    """``0xHH,0xHH,…`` -> bytes.  Checked by slices (every item is 5 characters with its
    comma), not per item: this is the receiver's hot path for encrypted packets."""
    if (
        len(inner) % 5 != 4
        or inner[0::5].strip("0")
        or inner[1::5].strip("xX")
        or inner[4::5].strip(",")
    ):
        raise RegionError(BAD_CIPHERTEXT, "ciphertext items are not all 0xHH")
    digits = inner.replace(",0x", "").replace(",0X", "")[2:]
    try:
        if not digits.isalnum() or len(digits) != 2 * (len(inner) + 1) // 5:
            raise ValueError  # whitespace (which fromhex skips) or a lost item
        return bytes.fromhex(digits)
    except ValueError:
        raise RegionError(BAD_CIPHERTEXT, "ciphertext items are not all 0xHH") from None


def decrypt_region(written: str, key: bytes) -> str:
    """The plaintext region of ``written`` (``{0xHH,…}`` + optional plaintext tail).

    Raises :class:`RegionError` (bad_ciphertext or bad_key, see the module doc).
    """
    close = written.find("}")
    if written[:1] != "{" or close < 0:
        raise RegionError(BAD_CIPHERTEXT, "ciphertext is not enclosed in '{…}'")
    data = _hex_items(written[1:close])
    after = written[close + 1 :]
    rest = len(data) % BLOCK
    if len(data) < BLOCK:
        raise RegionError(BAD_CIPHERTEXT, f"{len(data)} bytes: less than one 16-byte block")
    if rest and after:
        raise RegionError(
            BAD_CIPHERTEXT,
            f"{len(data)} bytes (not whole blocks) and a plaintext tail after the braces",
        )
    cut = len(data) - rest
    plain = decrypt_blocks(key, data[:cut]) + data[cut:]
    try:
        text = plain.decode("utf-8")
        if text.isprintable():
            return text + after
    except UnicodeDecodeError:
        pass
    blocks = range(0, cut, BLOCK)
    if any(not plain[at : at + BLOCK].translate(None, _ASCII_TEXT) for at in blocks):
        raise RegionError(BAD_CIPHERTEXT, "some blocks do not decrypt to text (altered)")
    raise RegionError(BAD_KEY, "no block decrypts to text with this MN's key")
