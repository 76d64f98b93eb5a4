"""A small raw RESP client for tests: sends exact bytes (malformed requests included) and
parses RESP2/RESP3 replies, so tests can check the protocol byte for byte."""
import socket


class Closed(Exception):
    """The server closed the connection."""


class ErrorReply(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Push(list):
    """A RESP3 push message (>)."""


class Verbatim(str):
    """A RESP3 verbatim string (=); the value excludes the 'txt:' prefix."""


class Attribute(dict):
    """A RESP3 attribute (|) that preceded a reply."""


class RawConnection:
    def __init__(self, host, port, timeout=5):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def send_command(self, *args):
        self.send(encode(*args))

    def command(self, *args):
        """Sends a command and returns its reply (ErrorReply instances are returned, not
        raised)."""
        self.send_command(*args)
        return self.read()

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise Closed()
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return ErrorReply(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if t == b"_":
            return None
        if t == b"#":
            return rest == b"t"
        if t == b",":
            s = rest.decode()
            return float(s) if s not in ("inf", "-inf", "nan") else float(s)
        if t == b"(":
            return int(rest)
        if t == b"=":
            data = self._exact(int(rest)).decode()
            return Verbatim(data[4:])
        if t == b"!":
            return ErrorReply(self._exact(int(rest)).decode())
        if t == b"%":
            n = int(rest)
            out = {}
            for _ in range(n):
                k = self.read()
                out[_hashable(k)] = self.read()
            return out
        if t == b"~":
            return set(_hashable(self.read()) for _ in range(int(rest)))
        if t == b">":
            return Push(self.read() for _ in range(int(rest)))
        if t == b"|":
            n = int(rest)
            attrs = Attribute()
            for _ in range(n):
                k = self.read()
                attrs[_hashable(k)] = self.read()
            return attrs
        raise AssertionError(f"unexpected reply line {line!r}")

    def is_closed(self, timeout=2.0):
        """True if the server closed the connection (reads until EOF or timeout)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(1 << 16)
                if not data:
                    return True
                self.buf += data
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return v


def encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
