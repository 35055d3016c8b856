"""A local mail server for fault tests: it accepts connections and either never
answers (``stalled``, a mail server that hangs) or speaks just enough SMTP to take
messages."""

from __future__ import annotations

import socket
import threading


class FaultySMTPServer:
    def __init__(self) -> None:
        self.stalled = True
        self.connections = 0
        self.messages: list[bytes] = []
        self._held: list[socket.socket] = []
        self._changed = threading.Condition()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._changed:
                self.connections += 1
                self._changed.notify_all()
                stalled = self.stalled
            if stalled:
                self._held.append(conn)  # accepted; never a byte in answer
            else:
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 test ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = []
                    for body in lines:
                        if body == b".\r\n":
                            break
                        data.append(body)
                    with self._changed:
                        self.messages.append(b"".join(data))
                        self._changed.notify_all()
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        with self._changed:
            assert self._changed.wait_for(predicate, timeout=timeout), f"timed out: {what}"

    def answer(self) -> None:
        """The mail server recovers: from now on it takes messages."""
        with self._changed:
            self.stalled = False

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()
