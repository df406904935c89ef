# The trickling origin of the download cases (dl-lib.sh, dl_trickle_start):
#   trickle-origin.py PORT CERT KEY ROOT TIMES
# GET /FILE?pause=N[&rate=R][&chunked=1][&silent=S] sends FILE's first N
# bytes, waits until the proxy's kernel has acknowledged them, notes
# "PATH?QUERY EPOCH" in TIMES, sends nothing for S seconds (default 0),
# then trickles the rest (1 KiB every 0.1 s) until the proxy closes the
# connection.
import fcntl, http.server, os, ssl, struct, sys, termios, time
import urllib.parse

PIECE = 64 * 1024
TRICKLE = 1024
TRICKLE_S = 0.1


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def send(self, data, rate, chunked):
        for i in range(0, len(data), PIECE):
            piece = data[i:i + PIECE]
            if rate and i:
                time.sleep(PIECE / rate)
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)

    def unacked(self):
        b = fcntl.ioctl(self.connection.fileno(), termios.TIOCOUTQ, b"\0" * 4)
        return struct.unpack("i", b)[0]

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        path = os.path.join(ROOT, url.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            data = f.read()
        st = os.stat(path)
        pause = int(q["pause"][0]) if "pause" in q else len(data)
        rate = int(q["rate"][0]) if "rate" in q else 0
        chunked = "chunked" in q
        silent = float(q["silent"][0]) if "silent" in q else 0
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Last-Modified", self.date_time_string(st.st_mtime))
        self.send_header("ETag", '"%x-%x"' % (int(st.st_mtime), len(data)))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.send(data[:pause], rate, chunked)
        end = time.monotonic() + 10
        while self.unacked() > 0 and time.monotonic() < end:
            time.sleep(0.005)
        with open(TIMES, "a") as log:
            log.write("%s %.3f\n" % (self.path, time.time()))
        self.close_connection = True
        time.sleep(silent)
        try:
            for i in range(pause, len(data), TRICKLE):
                time.sleep(TRICKLE_S)
                piece = data[i:i + TRICKLE]
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


port, cert, key, ROOT, TIMES = sys.argv[1:6]
httpd = Server(("127.0.0.1", int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                               do_handshake_on_connect=False)
httpd.serve_forever()
