#!/usr/bin/env python3
"""The crash test's SMTP sink: a real SMTP server (aiosmtpd) on 127.0.0.1, a free port.

Usage: smtp_sink.py RECORD_FILE [--drop-every K]

Prints "PORT <n>" on stdout once it listens, then serves until killed (or until the
process that started it is gone).

For every message it accepts it appends one JSON line to RECORD_FILE before it answers
250: {"n": count, "message_id": the left part of the Message-ID header (herald's message
id), "rcpt": number of recipients}. The line is one write(2) on an O_APPEND descriptor,
so it survives a kill of the sender at any point and can be read while the sink runs.

--drop-every K: every K-th accepted message is recorded and then its connection is
closed without a reply, as when a server takes a message and the reply is lost. The
sender must count it as not sent, so it sends it again: the sink sees it twice, and the
crash test must attribute that to the lost reply.
"""

import argparse
import asyncio
import json
import os
import re
import sys

from aiosmtpd.smtp import SMTP

MESSAGE_ID = re.compile(rb"^Message-ID:\s*<([^@>]*)@", re.IGNORECASE | re.MULTILINE)


class Handler:
    def __init__(self, fd, drop_every):
        self.fd = fd
        self.drop_every = drop_every
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        head = data.split(b"\r\n\r\n", 1)[0]
        m = MESSAGE_ID.search(head)
        self.count += 1
        line = json.dumps({"n": self.count,
                           "message_id": m.group(1).decode("ascii", "replace") if m else None,
                           "rcpt": len(envelope.rcpt_tos)}) + "\n"
        os.write(self.fd, line.encode())
        if self.drop_every and self.count % self.drop_every == 0:
            server.transport.abort()  # taken and recorded; the reply is lost
            return "250 2.0.0 Ok (never seen)"
        return f"250 2.0.0 Ok: queued as C{self.count:06d}"


async def watch_parent(parent):
    while os.getppid() == parent:
        await asyncio.sleep(1)
    os._exit(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("record")
    parser.add_argument("--drop-every", type=int, default=0)
    args = parser.parse_args()
    fd = os.open(args.record, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    handler = Handler(fd, args.drop_every)

    def factory():
        return SMTP(handler, hostname="crash-sink", decode_data=False)

    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    asyncio.ensure_future(watch_parent(os.getppid()))
    await server.serve_forever()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
