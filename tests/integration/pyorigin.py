#!/usr/bin/env python3
"""A second TLS origin for the integration cases: Python's http.server
(HTTP/1.1, keep-alive), serving a directory like a plain web server does
and, for the cases that need an origin to misbehave, on request:

    /path?chunked=1        Transfer-Encoding: chunked instead of a length
    /path?rate=N           at most N bytes per second
    /path?lie=N            announce Content-Length N, send the file as is
                           and close
    /path?nolm=1           no Last-Modified, no ETag
    /path?ce=X&ce=Y        one Content-Encoding line per ce, in order, the
                           file sent as it is (already encoded by the case)
    /path?ctype=T          Content-Type T instead of the guessed one
    /path?part=A-B         206 Partial Content with bytes A to B of the file,
                           asked for or not (an origin sending ranges unasked)
    /path?te=gzip          Transfer-Encoding: gzip, chunked (the file gzipped
                           in transit, which no proxy or browser undoes)

usage: pyorigin.py PORT CERT KEY ROOT [IDLE]
IDLE: seconds a connection may wait for a request (its first, or the
next), then it is closed, as servers' request and keep-alive timeouts do;
a request's body is waited for as long as it takes. Default: no limit.
Listens on 127.0.0.1 only; stops on SIGTERM.
"""
import gzip
import http.server
import os
import ssl
import sys
import time
import urllib.parse

CHUNK = 64 * 1024


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    idle = None

    def handle_one_request(self):
        # A request line that does not come within idle seconds ends the
        # connection (http.server closes it on the timeout).
        self.connection.settimeout(self.idle)
        super().handle_one_request()

    def parse_request(self):
        self.connection.settimeout(None)
        return super().parse_request()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def do_POST(self):
        size = int(self.headers.get("Content-Length") or 0)
        left = size
        while left > 0:
            got = self.rfile.read(min(left, CHUNK))
            if not got:
                break
            left -= len(got)
        if left > 0:
            # Not answered, and said so: a proxy that cuts an upload off
            # must leave the origin without a whole request.
            self.log_message('"%s" body cut short: %d of %d bytes',
                             self.requestline, size - left, size)
            self.close_connection = True
            return
        body = b"received\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        path = self.translate_path(url.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        st = os.stat(path)
        first, last = 0, size - 1
        if "part" in q:
            a, b = q["part"][0].split("-")
            first, last = int(a), min(int(b), size - 1)
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, last, size))
        else:
            self.send_response(200)
        self.send_header("Content-Type", q["ctype"][0] if "ctype" in q
                         else self.guess_type(path))
        for ce in q.get("ce", []):
            self.send_header("Content-Encoding", ce)
        if "nolm" not in q:
            self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
            self.send_header("ETag", '"%x-%x"' % (int(st.st_mtime), size))
        chunked = "chunked" in q or "te" in q
        if "te" in q:
            self.send_header("Transfer-Encoding", "gzip, chunked")
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "lie" in q:
            self.send_header("Content-Length", q["lie"][0])
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        rate = int(q["rate"][0]) if "rate" in q else 0
        left = last - first + 1
        if "te" in q:
            with open(path, "rb") as f:
                data = gzip.compress(f.read())
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
            return
        with open(path, "rb") as f:
            f.seek(first)
            while left > 0:
                piece = f.read(min(CHUNK, rate, left) if rate else min(CHUNK, left))
                if not piece:
                    break
                left -= len(piece)
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
                if rate:
                    self.wfile.flush()
                    time.sleep(len(piece) / rate)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class Server(http.server.ThreadingHTTPServer):
    # socketserver's default backlog of 5 overflows under the load
    # scripts' concurrency (the kernel then drops connections).
    request_queue_size = 512
    daemon_threads = True


def main():
    port, cert, key, root = sys.argv[1:5]
    if len(sys.argv) > 5 and sys.argv[5]:
        Handler.idle = float(sys.argv[5])
    os.chdir(root)
    httpd = Server(("127.0.0.1", int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # The handshake in each connection's own thread, not in accept(),
    # where it would take connections one at a time.
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                   do_handshake_on_connect=False)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
