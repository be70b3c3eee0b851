#!/usr/bin/env python3
"""Prints the checksum fix-up cases that udp_encapsulation_test.cc embeds.

Each case is a transport-mode packet as the receiver has it after ESP
decapsulation: the IPv4 header carries the addresses the receiver saw
(the NAT's public address as source, the receiver's private address as
destination), while the TCP or UDP checksum was computed by the sender over
the original addresses. The expected checksum is computed here over the
received addresses with the RFC 768 / RFC 793 pseudo-header, independently
of the C++ code.
"""
import ipaddress
import struct

ORIGINAL_SOURCE = "10.0.0.2"        # the sender's address (NAT-OA)
ORIGINAL_DESTINATION = "198.51.100.1"  # where the sender addressed it
RECEIVED_SOURCE = "203.0.113.5"     # the sender's NAT, as received
RECEIVED_DESTINATION = "192.168.0.10"  # the receiver's own address


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = 0
    for (word,) in struct.iter_unpack("!H", data):
        total += word
        total = (total & 0xFFFF) + (total >> 16)
    return total


def transport_checksum(source, destination, protocol, segment):
    pseudo = (ipaddress.IPv4Address(source).packed + ipaddress.IPv4Address(destination).packed
              + struct.pack("!BBH", 0, protocol, len(segment)))
    return (~ones_complement_sum(pseudo + segment)) & 0xFFFF


def ipv4_header(source, destination, protocol, payload_length):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_length, 0x1234, 0x4000, 64,
                         protocol, 0, ipaddress.IPv4Address(source).packed,
                         ipaddress.IPv4Address(destination).packed)
    checksum = (~ones_complement_sum(header)) & 0xFFFF
    return header[:10] + struct.pack("!H", checksum) + header[12:]


def udp_segment(payload, checksum_field):
    return struct.pack("!HHHH", 4501, 53, 8 + len(payload), checksum_field) + payload


def tcp_segment(payload, checksum_field):
    return struct.pack("!HHIIBBHHH", 40000, 22, 0x01020304, 0, 5 << 4, 0x18, 65535,
                       checksum_field, 0) + payload


def with_checksum(build, protocol, payload, source, destination):
    checksum = transport_checksum(source, destination, protocol, build(payload, 0))
    if protocol == 17 and checksum == 0:
        checksum = 0xFFFF
    return build(payload, checksum), checksum


def print_case(name, build, protocol, payload):
    sent, sent_checksum = with_checksum(build, protocol, payload, ORIGINAL_SOURCE,
                                        ORIGINAL_DESTINATION)
    _, expected = with_checksum(build, protocol, payload, RECEIVED_SOURCE, RECEIVED_DESTINATION)
    packet = ipv4_header(RECEIVED_SOURCE, RECEIVED_DESTINATION, protocol, len(sent)) + sent
    print(f"{name}: packet {packet.hex()}")
    print(f"{name}: sent checksum 0x{sent_checksum:04x}, expected 0x{expected:04x}")


print_case("udp", udp_segment, 17, b"ipop-esp natt test")
print_case("tcp", tcp_segment, 6, b"hello through a NAT")

# A payload whose checksum over the received addresses computes to zero, so
# UDP must send it as 0xffff (RFC 768).
for word in range(0x10000):
    payload = b"ipop" + struct.pack("!H", word)
    _, expected = with_checksum(udp_segment, 17, payload, RECEIVED_SOURCE, RECEIVED_DESTINATION)
    raw = transport_checksum(RECEIVED_SOURCE, RECEIVED_DESTINATION, 17, udp_segment(payload, 0))
    if raw == 0:
        print_case("udp_zero_result", udp_segment, 17, payload)
        break
