#!/usr/bin/env python3
"""Prints the expected MODP values that dh_test.cc embeds.

The primes are rebuilt from the formula of RFC 3526 §2-§7,
p = 2^n - 2^(n-64) - 1 + 2^64 * (floor(2^(n-130) * pi) + k), with pi from
mpmath, independently of OpenSSL. For each group the script prints the
SHA-256 of the public value g^x mod p (g = 2, x = 0x0102...20, left-padded
to the modulus length), so the test need not embed kilobyte-long numbers.
"""
import hashlib

import mpmath

# (group number, modulus bits, k) from RFC 3526 §2 to §7.
GROUPS = [(14, 2048, 124476), (15, 3072, 1690314), (16, 4096, 240904),
          (17, 6144, 929484), (18, 8192, 4743158)]
PRIVATE = bytes(range(1, 33))


def prime(bits, k):
    mpmath.mp.prec = bits + 64
    pi_part = int(mpmath.floor(mpmath.ldexp(mpmath.pi, bits - 130)))
    return 2**bits - 2**(bits - 64) - 1 + 2**64 * (pi_part + k)


for group, bits, k in GROUPS:
    p = prime(bits, k)
    length = bits // 8
    public = pow(2, int.from_bytes(PRIVATE, "big"), p).to_bytes(length, "big")
    print(group, "public sha256", hashlib.sha256(public).hexdigest())
