#!/usr/bin/env python3
"""Sends or receives one file over a single TCP connection.

  tcp_transfer.py receive ADDRESS PORT PATH   listen on ADDRESS:PORT, print
                                               "listening", write what the
                                               first connection sends to PATH
  tcp_transfer.py send ADDRESS PORT PATH [SOURCE]
                                               connect to ADDRESS:PORT, from
                                               the address SOURCE if given,
                                               and send the contents of PATH
"""
import socket
import sys


def receive(address, port, path):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(1)
    print("listening", flush=True)
    connection, _ = listener.accept()
    with open(path, "wb") as out:
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            out.write(chunk)


def send(address, port, path, source=None):
    source_address = (source, 0) if source else None
    with socket.create_connection((address, port), timeout=30,
                                  source_address=source_address) as connection, \
            open(path, "rb") as data:
        connection.sendfile(data)
        connection.shutdown(socket.SHUT_WR)


def main():
    if len(sys.argv) not in (5, 6) or sys.argv[1] not in ("receive", "send"):
        sys.exit(__doc__)
    action, address, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if action == "receive":
        receive(address, port, path)
    else:
        send(address, port, path, sys.argv[5] if len(sys.argv) == 6 else None)


if __name__ == "__main__":
    main()
