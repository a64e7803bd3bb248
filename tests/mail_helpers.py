"""An SMTP sink (aiosmtpd) for the mail queue tests: it records the Message-ID of every
message it accepted, can refuse some recipients for good, and can kill the delivering
process while a message is in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self):
        self.accepted: list[bytes] = []
        self.refuse: set[str] = set()  # recipients refused with 550
        self.kill_at: int | None = None  # kill victim_pid when this message arrives (1-based)
        self.victim_pid: int | None = None
        self.killed = threading.Event()
        self._seen = 0

    @property
    def message_ids(self) -> list[str]:
        return [str(parse(raw)["Message-ID"]) for raw in self.accepted]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self._seen += 1
        if self.kill_at is not None and self._seen == self.kill_at and self.victim_pid:
            # The worker dies while waiting for the answer: the message is not accepted
            os.kill(self.victim_pid, signal.SIGKILL)
            self.killed.set()
            await asyncio.sleep(10)  # cancelled when the dead client's connection drops
            if server.transport is None or server.transport.is_closing():
                return "451 4.3.0 Connection lost"
        self.accepted.append(envelope.original_content)
        return "250 OK"


def parse(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink() -> tuple[Controller, Sink]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, sink
