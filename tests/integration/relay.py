#!/usr/bin/env python3
"""relay.py LISTEN CONNECT: forward every connection accepted on LISTEN to a
new connection to CONNECT, both ways, until either side closes. Each address
is tcp:HOST:PORT or unix:PATH.

The harness uses it to give a client in a network namespace of its own
(unshare -n, loopback only) exactly one way out: the proxy port, over a UNIX
socket in the run directory. Nothing else that client does can reach any
server, so whatever it measures, it measured through the proxy."""
import os
import socket
import sys
import threading


def address(spec):
    kind, _, rest = spec.partition(":")
    if kind == "unix":
        return socket.AF_UNIX, rest
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        return socket.AF_INET, (host, int(port))
    sys.exit("relay.py: address must be tcp:HOST:PORT or unix:PATH, not " + spec)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, target):
    family, addr = target
    upstream = socket.socket(family, socket.SOCK_STREAM)
    try:
        upstream.connect(addr)
    except OSError:
        client.close()
        upstream.close()
        return
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: relay.py LISTEN CONNECT")
    family, addr = address(sys.argv[1])
    target = address(sys.argv[2])
    listener = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_UNIX:
        if os.path.exists(addr):
            os.unlink(addr)
    else:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(addr)
    listener.listen(64)
    print("relay.py: listening", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, target), daemon=True).start()


if __name__ == "__main__":
    main()
