#!/usr/bin/env python3
"""Prints the ESP known answers that esp_crypto_test.cc embeds.

The packets are built here with Python's `cryptography` and `hmac`
modules, independently of the C++ code: AES-GCM-128 as RFC 4106 lays it
out (nonce = salt | explicit IV, AAD = SPI | 32-bit sequence number,
16-byte ICV) and AES-128-CBC with HMAC-SHA1-96, HMAC-SHA2-384-192 and
HMAC-SHA2-512-256 as RFC 4303 §3.3.2 lays it out (ICV over SPI through
ciphertext, truncated to 12, 24 or 32 bytes, RFC 4868 §2.1).
"""
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SPI = bytes.fromhex("c0ffee01")
# Payload, padding 01 02, pad length 2, next header 4 (IPv4): 32 bytes, so
# it is a multiple of both the AES block size and the 4-byte GCM alignment.
TRAILER = bytes(range(0x40, 0x40 + 28)) + bytes.fromhex("01020204")


def gcm_packet(key, salt, sequence):
    header = SPI + sequence.to_bytes(4, "big")
    explicit_iv = (0).to_bytes(4, "big") + sequence.to_bytes(4, "big")
    sealed = AESGCM(key).encrypt(salt + explicit_iv, TRAILER, header)
    return header + explicit_iv + sealed  # sealed = ciphertext | 16-byte tag


def cbc_packet(key, auth_key, iv, sequence, digest=hashlib.sha1, icv_length=12):
    header = SPI + sequence.to_bytes(4, "big")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(TRAILER) + encryptor.finalize()
    authenticated = header + iv + ciphertext
    icv = hmac.new(auth_key, authenticated, digest).digest()[:icv_length]
    return authenticated + icv


gcm_key = bytes.fromhex("feffe9928665731c6d6a8f9467308308")
gcm_salt = bytes.fromhex("cafebabe")
print("trailer", TRAILER.hex())
for sequence in (1, 2):
    print("gcm128 seq", sequence, gcm_packet(gcm_key, gcm_salt, sequence).hex())

cbc_key = bytes.fromhex("0123456789abcdef0123456789abcdef")
cbc_auth_key = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")
for sequence, iv in ((1, "000102030405060708090a0b0c0d0e0f"),
                     (2, "f0e0d0c0b0a090807060504030201000")):
    packet = cbc_packet(cbc_key, cbc_auth_key, bytes.fromhex(iv), sequence)
    print("cbc-sha1 seq", sequence, packet.hex())

# RFC 4868 §2.1: the key is as long as the hash output.
sha384_key = bytes(range(0x01, 0x01 + 48))
sha512_key = bytes(range(0x01, 0x01 + 64))
iv = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
print("cbc-sha384 seq 1",
      cbc_packet(cbc_key, sha384_key, iv, 1, hashlib.sha384, 24).hex())
print("cbc-sha512 seq 1",
      cbc_packet(cbc_key, sha512_key, iv, 1, hashlib.sha512, 32).hex())
