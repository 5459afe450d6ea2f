"""SM4 (GB/T 32907-2016) block encryption of the HJ 212-2025 data region, and its keys.

HJ 212-2025 §6.4.2 and Appendix A.2 (quoted in the project reference §13 and confirmed in the
module docstring of :mod:`envmon.hj212.encryption`): SM4, a 16-byte key, ECB, no padding.
This module only knows the cipher: 16-byte blocks in, 16-byte blocks out, through the
``cryptography`` package (OpenSSL's SM4).  How the data region is cut into blocks and written
(``{0xE4,0x3E,…}``) is :mod:`envmon.hj212.encryption`'s job.

Keys are given by operators as 32 hex digits (:func:`parse_key`); the receiver finds a unit's
key through a :data:`KeyLookup` (MN -> 16 key bytes, or None when the platform has no key for
that MN), so a key store plugs in without the codec knowing where keys live.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "BLOCK",
    "KEY_BYTES",
    "KeyLookup",
    "decrypt_blocks",
    "encrypt_blocks",
    "parse_key",
    "single_key",
]

BLOCK = 16  # SM4 block size in bytes (GB/T 32907-2016 §5)
KEY_BYTES = 16  # SM4 key size; HJ 212-2025 §6.4.2 "16 字节密钥"

KeyLookup = Callable[[str], "bytes | None"]  # MN -> key bytes, or None (no key for that MN)


def parse_key(text: str) -> bytes:
    """A key written as 32 hex digits -> 16 bytes; ValueError saying what is wrong."""
    text = text.strip()
    if len(text) != 2 * KEY_BYTES:
        raise ValueError(f"expected {2 * KEY_BYTES} hex digits, got {len(text)} characters")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"expected {2 * KEY_BYTES} hex digits (0-9, a-f)") from None


def single_key(key: bytes) -> KeyLookup:
    """A lookup giving the same key for every MN (the CLI's ``--key``)."""
    _check(key)
    return lambda _mn: key


def _check(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"SM4 key: expected {KEY_BYTES} bytes")


def encrypt_blocks(key: bytes, data: bytes) -> bytes:
    """SM4-ECB over whole blocks (``len(data)`` a multiple of 16); no padding."""
    _check(key)
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def decrypt_blocks(key: bytes, data: bytes) -> bytes:
    """Inverse of :func:`encrypt_blocks`."""
    _check(key)
    decryptor = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()
    return decryptor.update(data) + decryptor.finalize()
