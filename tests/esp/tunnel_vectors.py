#!/usr/bin/env python3
"""Prints the tunnel-mode ESP packet that esp_tunnel_test.cc decapsulates.

The packet is built here with the `cryptography` package, independently of
the C++ code: AES-128-GCM with a 16-byte ICV (RFC 4106), SPI 0x1000abcd,
sequence number 1 and explicit IV 0001020304050607. The key and salt follow
test::MakeSaConfig with seed 1: byte i of key || salt is (31 + 7 * i) mod
256. The outer header runs from gateway 192.0.2.1 to gateway 192.0.2.2, and
the encrypted payload is a whole ICMP echo packet from 10.1.0.5 to 10.2.0.7
with next header 4 (RFC 4303 §3.1.2).
"""
import ipaddress
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SPI = 0x1000ABCD
SEQUENCE = 1
EXPLICIT_IV = bytes(range(8))
KEY_AND_SALT = bytes((31 + 7 * i) % 256 for i in range(20))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(word for (word,) in struct.iter_unpack("!H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ipv4_header(source, destination, protocol, payload_length, identification, tos, ttl):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_length, identification,
                         0x4000, ttl, protocol, 0, ipaddress.IPv4Address(source).packed,
                         ipaddress.IPv4Address(destination).packed)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:]


def main():
    icmp_body = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"tunnel"
    icmp = icmp_body[:2] + struct.pack("!H", checksum(icmp_body)) + icmp_body[4:]
    inner = ipv4_header("10.1.0.5", "10.2.0.7", 1, len(icmp), 0x1234, 0x00, 63) + icmp

    # RFC 4106 §3: the payload, padding and trailer align to 4 bytes.
    pad_length = (-(len(inner) + 2)) % 4
    plaintext = inner + bytes(range(1, pad_length + 1)) + bytes([pad_length, 4])
    esp_header = struct.pack("!II", SPI, SEQUENCE)
    nonce = KEY_AND_SALT[16:] + EXPLICIT_IV
    sealed = AESGCM(KEY_AND_SALT[:16]).encrypt(nonce, plaintext, esp_header)
    esp = esp_header + EXPLICIT_IV + sealed
    outer = ipv4_header("192.0.2.1", "192.0.2.2", 50, len(esp), 1, 0x00, 64)

    print("inner  ", inner.hex())
    print("packet ", (outer + esp).hex())


if __name__ == "__main__":
    main()
