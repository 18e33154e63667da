"""A loopback TCP proxy that a test can cut: every open connection closed and new ones refused
(nothing listens on the port), then restored on the same port, as when a database server or
Redis goes away for a few seconds and comes back; or freeze: connections accepted and bytes
taken in but nothing forwarded either way until thawed, as when a network drops packets."""

from __future__ import annotations

import socket
import threading


class Proxy:
    """Forward 127.0.0.1:`port` to `target`; `cut()` and `restore()` the service."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thawed = threading.Event()
        self._thawed.set()
        self.accepted = 0
        self.cut_connections = 0
        self.cuts = 0

    def start(self) -> Proxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        """Refuse new connections and close every open one (both ends)."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = self._open, set()
            self.cuts += 1
            self.cut_connections += len(sockets) // 2
        if listener is not None:
            listener.close()
        for sock in sockets:
            _close(sock)

    def freeze(self) -> None:
        """Stop forwarding (both ways, new connections too) without closing anything."""
        self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    def stop(self) -> None:
        self.thaw()
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            with self._lock:
                if self._listener is not listener:
                    return
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._join, args=(listener, client), daemon=True).start()

    def _join(self, listener: socket.socket, client: socket.socket) -> None:
        self._thawed.wait()
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _close(client)
            return
        client.settimeout(None)
        upstream.settimeout(None)
        with self._lock:
            if self._listener is not listener:  # cut while connecting
                _close(client)
                _close(upstream)
                return
            self._open |= {client, upstream}
            self.accepted += 1
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._thawed.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
