"""Decode throughput of envmon.hj212 on typical hourly (CN=2061) packets, one core.

Run: ``.venv/bin/python benchmarks/bench_decode.py``.  Prints packets/s and µs/packet for
``codec.decode`` and for a naive baseline measured in the same run (regex parse + the
bit-by-bit CRC worded in HJ 212-2017 Appendix A), and times ``crc16`` against
``crc16_reference``.  HJ 212-2025 (issue 16): the same uploads as 2025 packets (Flag=9), in
clear and SM4-encrypted, decoded in the same run; their rates are printed beside the 2017
one with the ratios.  Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from envmon.hj212.codec import build_packet, decode, format_cp, make_qn  # noqa: E402
from envmon.hj212.crc import crc16, crc16_reference  # noqa: E402
from envmon.hj212.sm4 import single_key  # noqa: E402
from envmon.timeutil import BEIJING_FIXED  # noqa: E402

# Flue-gas CEMS factors (HJ 212-2017 Table B.2) with plausible hourly means.
GAS = {
    "a21026": 35.0, "a21002": 48.0, "a34013": 6.0, "a19001": 9.5,
    "a01012": 55.0, "a01011": 12.0, "a01013": -0.3, "a00000": 120000.0,
}


KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")  # GB/T 32907 Example 1's key


def make_packets(n: int = 2000, seed: int = 2061, flag: int = 5,
                 key: bytes | None = None) -> list[bytes]:
    """Realistic 2061 uploads: 6–8 factors with -Avg and -Flag, many MNs, varying hours.
    ``flag=9`` makes them HJ 212-2025 packets, ``key`` encrypts their data region."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=BEIJING_FIXED)
    out = []
    for i in range(n):
        hour = start + timedelta(hours=i % 240)
        codes = rng.sample(sorted(GAS), rng.randint(6, 8))
        factors = {
            c: {"Avg": round(GAS[c] * rng.uniform(0.6, 1.4), rng.choice([1, 2, 3])),
                "Flag": rng.choice("NNNNNNNNNF")}
            for c in codes
        }
        out.append(build_packet(
            st="31", cn="2061", pw="123456", mn=f"{rng.getrandbits(96):024X}", flag=flag,
            qn=make_qn(hour + timedelta(hours=1, seconds=rng.randint(0, 59))),
            cp=format_cp(hour, None, factors), key=key,
        ))
    return out


# ---------------------------------------------------------------- naive baseline

def bitwise_crc(data: bytes) -> int:
    """HJ 212-2017 Appendix A as worded: shift and XOR 0xA001 bit by bit."""
    reg = 0xFFFF
    for b in data:
        reg = (reg >> 8) ^ b
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


_FRAME = re.compile(rb"##(\d{4})(.*)([0-9A-Fa-f]{4})\r\n", re.S)
_SEGMENT = re.compile(r"(.*?);?CP=&&(.*)&&", re.S)
_FIELD = re.compile(r"([A-Za-z]+)=([^;]*)")
_ITEM = re.compile(r"([\w]+)(?:-(\w+))?=([^;,]*)")


def naive_decode(frame: bytes) -> dict:
    """What a first attempt looks like: regexes all the way and the bitwise CRC."""
    m = _FRAME.fullmatch(frame)
    if not m:
        return {"ok": False}
    seg = m.group(2)
    ok = int(m.group(1)) == len(seg) and bitwise_crc(seg) == int(m.group(3), 16)
    head, area = _SEGMENT.fullmatch(seg.decode("utf-8")).groups()
    out: dict = dict(_FIELD.findall(head))
    factors: dict = {}
    for key, suffix, value in _ITEM.findall(area):
        if suffix:
            try:
                factors.setdefault(key, {})[suffix] = float(value)
            except ValueError:
                factors.setdefault(key, {})[suffix] = value
        elif key == "DataTime":
            out["data_time"] = datetime.strptime(value, "%Y%m%d%H%M%S").replace(
                tzinfo=BEIJING_FIXED)
    out["factors"] = factors
    out["ok"] = ok
    return out


# ---------------------------------------------------------------- timing

def rate(fn: Callable[[bytes], object], items: list[bytes], repeat: int = 5,
         min_time: float = 0.4) -> float:
    """Best-of-``repeat`` calls per second of ``fn`` over ``items``."""
    loops = 1
    while True:  # size one run to about min_time
        t0 = time.perf_counter()
        for _ in range(loops):
            for x in items:
                fn(x)
        if time.perf_counter() - t0 >= min_time / 4:
            break
        loops *= 2
    best = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(loops):
            for x in items:
                fn(x)
        best.append((time.perf_counter() - t0) / (loops * len(items)))
    return 1.0 / min(best)


# `python -m benchmarks --smoke` (and .ci/run): the tiny size that proves the benchmark still
# runs and its cross-checks still hold, in seconds; no figure of it means anything.
SMOKE_ARGS = ["--packets", "200"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=2000, help="packets decoded per round")
    args = parser.parse_args()
    packets = make_packets(args.packets)
    sizes = [len(p) for p in packets]
    assert all(decode(p).ok for p in packets)
    assert all(naive_decode(p)["ok"] for p in packets[:50])
    print(f"packets: {len(packets)} CN=2061 uploads, {statistics.mean(sizes):.0f} bytes mean "
          f"({min(sizes)}–{max(sizes)}), 6–8 factors each")

    fast = rate(decode, packets)
    naive = rate(naive_decode, packets[:300], repeat=3)
    print(f"decode: {fast:,.0f} packets/s ({1e6 / fast:.1f} µs) — {fast / naive:.1f}x baseline "
          f"(naive regex + bitwise CRC: {naive:,.0f}/s, {1e6 / naive:.1f} µs)")

    # HJ 212-2025: the same uploads with Flag=9, in clear and encrypted (same run, same seed).
    keys = single_key(KEY)
    plain_2025 = make_packets(args.packets, flag=9)
    encrypted = make_packets(args.packets, flag=9, key=KEY)
    assert all(decode(p).ok and decode(p).protocol == 2025 for p in plain_2025)
    assert all(decode(p, keys=keys).ok and decode(p, keys=keys).encrypted for p in encrypted)
    assert all(decode(p).key_error == "no_key" for p in encrypted[:50])
    r_2025 = rate(decode, plain_2025)
    r_enc = rate(lambda p: decode(p, keys=keys), encrypted)
    enc_sizes = [len(p) for p in encrypted]
    print(f"decode 2017: {fast:,.0f}/s ({1e6 / fast:.1f} µs); "
          f"2025 plaintext: {r_2025:,.0f}/s ({1e6 / r_2025:.1f} µs, {r_2025 / fast:.2f}x 2017); "
          f"2025 SM4-encrypted ({statistics.mean(enc_sizes):.0f} bytes mean): "
          f"{r_enc:,.0f}/s ({1e6 / r_enc:.1f} µs, {r_enc / fast:.2f}x 2017)")

    segments = [p[6:-6] for p in packets]
    c_fast = rate(crc16, segments)
    c_ref = rate(crc16_reference, segments)
    c_bit = rate(bitwise_crc, segments[:300], repeat=3)
    print(f"crc16 (fold + 9 lookups): {1e6 / c_fast:.2f} µs/segment; "
          f"crc16_reference (1 lookup/byte): {1e6 / c_ref:.2f} µs ({c_fast / c_ref:.1f}x); "
          f"bitwise: {1e6 / c_bit:.1f} µs ({c_fast / c_bit:.0f}x)")
    target = 30_000
    verdict = "meets" if fast >= target else "MISSES"
    print(f"target ≥ {target:,} packets/s on one core: {verdict}")


if __name__ == "__main__":
    main()
