#!/usr/bin/env python3
"""Prints the expected values that key_derivation_test.cc embeds.

Computed with Python's hmac and hashlib straight from the formulas of
RFC 2409 §5, §5.5 and Appendix B, independently of the C++ code. The inputs
are arbitrary fixed byte strings.
"""
import hashlib
import hmac


def prf(hash_name, key, *parts):
    return hmac.new(key, b"".join(parts), hash_name).digest()


def expand(hash_name, skeyid_e, length):
    if len(skeyid_e) >= length:
        return skeyid_e[:length]
    out, block = b"", prf(hash_name, skeyid_e, b"\x00")
    while len(out) < length:
        out += block
        block = prf(hash_name, skeyid_e, block)
    return out[:length]


def keymat(hash_name, skeyid_d, pfs, protocol, spi, ni, nr, length):
    seed = pfs + bytes([protocol]) + spi.to_bytes(4, "big") + ni + nr
    out, block = b"", prf(hash_name, skeyid_d, seed)
    while len(out) < length:
        out += block
        block = prf(hash_name, skeyid_d, block + seed)
    return out[:length]


ni = bytes(range(0x10, 0x30))   # 32-byte Ni_b
nr = bytes(range(0xa0, 0xb8))   # 24-byte Nr_b
gxy = bytes([0x5c]) * 128
gxi = bytes([0x11]) * 128
gxr = bytes([0x22]) * 128
cky_i = bytes.fromhex("0102030405060708")
cky_r = bytes.fromhex("f1f2f3f4f5f6f7f8")
sa_b = bytes.fromhex("000000010000000100000028")
id_i = bytes.fromhex("01000000c0a80164")
id_r = bytes.fromhex("01000000c0a80165")
mid = bytes.fromhex("9dd19883")
rest = bytes.fromhex("0a000010aabbccddeeff00112233445566")

for name, key_length in (("sha1", 32), ("sha256", 16), ("sha384", 32), ("sha512", 32)):
    skeyid = prf(name, ni + nr, gxy)
    d = prf(name, skeyid, gxy, cky_i, cky_r, b"\x00")
    a = prf(name, skeyid, d, gxy, cky_i, cky_r, b"\x01")
    e = prf(name, skeyid, a, gxy, cky_i, cky_r, b"\x02")
    print(name, "skeyid", skeyid.hex())
    print(name, "skeyid_d", d.hex())
    print(name, "skeyid_a", a.hex())
    print(name, "skeyid_e", e.hex())
    print(name, "ka", key_length, expand(name, e, key_length).hex())
    print(name, "hash_i", prf(name, skeyid, gxi, gxr, cky_i, cky_r, sa_b, id_i).hex())
    print(name, "hash_r", prf(name, skeyid, gxr, gxi, cky_r, cky_i, sa_b, id_r).hex())
    print(name, "qm_hash1", prf(name, a, mid, rest).hex())
    print(name, "qm_hash2", prf(name, a, mid, ni, rest).hex())
    print(name, "qm_hash3", prf(name, a, b"\x00", mid, ni, nr).hex())
    print(name, "keymat_nopfs", keymat(name, d, b"", 3, 0x12345678, ni, nr, 64).hex())
    print(name, "keymat_pfs", keymat(name, d, gxy, 3, 0x12345678, ni, nr, 44).hex())

print("psk skeyid sha256", prf("sha256", b"ipop test psk", ni, nr).hex())
print("iv1 sha256 aes", hashlib.sha256(gxi + gxr).digest()[:16].hex())
last_block = bytes.fromhex("00112233445566778899aabbccddeeff")
print("iv2 sha256 aes", hashlib.sha256(last_block + mid).digest()[:16].hex())
