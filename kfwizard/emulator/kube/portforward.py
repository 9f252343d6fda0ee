"""Pod port-forward over a websocket, the way the Python client speaks it
(``kubernetes.stream.portforward``).

Protocol (``v4.channel.k8s.io``; ``v5`` is accepted when v4 is not offered, as the
client offers both): after the 101 handshake the server sends, for the i-th requested
port, one frame on data channel 2i and one on error channel 2i+1, each holding the port
as little-endian uint16. Then every binary frame is ``[channel] + bytes``. The bytes the
client writes on a data channel are what a TCP client would send to the pod's port; here
they are parsed as HTTP/1.1 requests and answered by the pod's simulated server
(``podservers``). A request with ``Connection: close`` (or HTTP/1.0) ends the stream
with a websocket close, which the client turns into EOF on its socket. A port the pod
does not listen on gets the kubelet's "connection refused" text on the error channel.

kubectl's own ``port-forward`` (SPDY, or SPDY tunnelled over websockets) is not served.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import TYPE_CHECKING, BinaryIO

from kfwizard.emulator.kube.store import Obj, meta

if TYPE_CHECKING:
    from kfwizard.emulator.kube.cluster import Cluster

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
PROTOCOLS = ("v4.channel.k8s.io", "v5.channel.k8s.io")


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def choose_protocol(offered: str) -> str:
    names = [p.strip() for p in offered.split(",") if p.strip()]
    for protocol in PROTOCOLS:
        if protocol in names:
            return protocol
    return ""


class WebSocket:
    """Just enough RFC 6455 for a server: unmasked frames out, masked frames in."""

    def __init__(self, rfile: BinaryIO, wfile: BinaryIO) -> None:
        self.rfile = rfile
        self.wfile = wfile

    def _read(self, n: int) -> bytes | None:
        data = self.rfile.read(n) if n else b""
        return data if len(data) == n else None

    def read_frame(self) -> tuple[int, bytes] | None:
        """One whole message (continuations joined); None at EOF."""
        payload = b""
        first_opcode = None
        while True:
            head = self._read(2)
            if head is None:
                return None
            fin, opcode = head[0] & 0x80, head[0] & 0x0F
            masked, length = head[1] & 0x80, head[1] & 0x7F
            if length == 126:
                raw = self._read(2)
                if raw is None:
                    return None
                length = struct.unpack("!H", raw)[0]
            elif length == 127:
                raw = self._read(8)
                if raw is None:
                    return None
                length = struct.unpack("!Q", raw)[0]
            mask = self._read(4) if masked else b""
            if mask is None:
                return None
            data = self._read(length)
            if data is None:
                return None
            if masked:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode >= 0x8:  # control frames are never fragmented
                return opcode, data
            if first_opcode is None:
                first_opcode = opcode
            payload += data
            if fin:
                return first_opcode, payload

    def send(self, opcode: int, data: bytes) -> None:
        head = bytearray([0x80 | opcode])
        if len(data) < 126:
            head.append(len(data))
        elif len(data) < 1 << 16:
            head.append(126)
            head += struct.pack("!H", len(data))
        else:
            head.append(127)
            head += struct.pack("!Q", len(data))
        self.wfile.write(bytes(head) + data)
        self.wfile.flush()

    def send_close(self, code: int = 1000) -> None:
        self.send(OP_CLOSE, struct.pack("!H", code))


def _parse_request(
    buffer: bytearray,
) -> tuple[str, str, str, dict[str, str], bytes, int] | None:
    """(method, target, version, headers, body, total length) of the first complete
    request; header names are lower-case."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buffer[:end].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    if len(parts) != 3:
        return ("GET", "/", "HTTP/1.1", {"connection": "close"}, b"", end + 4)
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    if len(buffer) < end + 4 + length:
        return None
    body = bytes(buffer[end + 4 : end + 4 + length])
    return parts[0], parts[1], parts[2], headers, body, end + 4 + length


class PortForwardSession:
    def __init__(
        self, cluster: Cluster, pod: Obj, ports: list[int], ws: WebSocket, protocol: str
    ) -> None:
        self.cluster = cluster
        self.pod = pod
        self.ports = ports
        self.ws = ws
        self.protocol = protocol
        self.buffers = [bytearray() for _ in ports]

    def run(self) -> None:
        for index, port in enumerate(self.ports):
            number = struct.pack("<H", port)
            self.ws.send(OP_BINARY, bytes([2 * index]) + number)
            self.ws.send(OP_BINARY, bytes([2 * index + 1]) + number)
        while True:
            frame = self.ws.read_frame()
            if frame is None:
                return
            opcode, data = frame
            if opcode == OP_CLOSE:
                self.ws.send_close()
                return
            if opcode == OP_PING:
                self.ws.send(OP_PONG, data)
                continue
            if opcode not in (OP_BINARY, OP_TEXT) or not data:
                continue
            channel = data[0]
            if channel == 255 or channel % 2 or channel // 2 >= len(self.ports):
                continue  # v5 close signals and stray error-channel writes
            if self._feed(channel // 2, data[1:]):
                self._finish()
                return

    def _finish(self) -> None:
        """Close the websocket and wait for the client's close frame before hanging up."""
        self.ws.send_close()
        for _ in range(16):
            frame = self.ws.read_frame()
            if frame is None or frame[0] == OP_CLOSE:
                return

    def _feed(self, index: int, data: bytes) -> bool:
        """Add client bytes for port ``index``; True when the stream should end."""
        port = self.ports[index]
        servers = self.cluster.pod_servers
        if not servers.listens(self.pod, port):
            md = meta(self.pod)
            message = (
                f"an error occurred forwarding {port} -> {port}: error forwarding port {port} "
                f"to pod {md.get('uid', '')}, uid : failed to execute portforward in network "
                f"namespace: failed to connect to localhost:{port} inside namespace, IPv4: "
                f"dial tcp 127.0.0.1:{port}: connect: connection refused "
                f"IPv6 dial tcp [::1]:{port}: connect: connection refused "
            )
            self.ws.send(OP_BINARY, bytes([2 * index + 1]) + message.encode())
            return False
        buffer = self.buffers[index]
        buffer += data
        while True:
            parsed = _parse_request(buffer)
            if parsed is None:
                return False
            method, target, version, headers, body, used = parsed
            del buffer[:used]
            path, _, query = target.partition("?")
            if "://" in path:
                path = "/" + path.split("://", 1)[1].partition("/")[2]
            answer = servers.answer(self.pod, port, method, path, query, headers, body)
            close = headers.get("connection", "").lower() == "close" or (
                version == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive"
            )
            head = [
                f"HTTP/1.1 {answer.status} {answer.reason()}",
                f"Content-Type: {answer.content_type}",
                f"Content-Length: {len(answer.body)}",
            ]
            head.extend(f"{k}: {v}" for k, v in answer.headers.items())
            if close:
                head.append("Connection: close")
            sent = answer.body if method != "HEAD" else b""
            self.ws.send(
                OP_BINARY, bytes([2 * index]) + ("\r\n".join(head) + "\r\n\r\n").encode() + sent
            )
            if close:
                return True
