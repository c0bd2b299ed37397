#!/usr/bin/env python3
"""A real SMTP server for the smtp connector's tests: aiosmtpd on 127.0.0.1, a free port.

Usage: smtp_test_server.py STORE_DIR [--auth USER:PASSWORD]

Prints "PORT <n>" on stdout once it listens, then serves until killed (or until the
process that started it is gone). With --auth, every transaction needs AUTH PLAIN or
LOGIN with that user and password (allowed without TLS: the test runs on loopback).

For each message it accepts, it writes STORE_DIR/<n>.eml (the data as received, SMTP
transparency undone: what the client meant to send) and then STORE_DIR/<n>.json:
  {"mail_from", "rcpt_tos", "connection": the connection's number (from 1),
   "auth_user", "defects": what email.parser.BytesParser(policy=email.policy.strict)
   raised or recorded while reading every header and part, "subject"}
After every connection and AUTH it rewrites STORE_DIR/stats.json:
  {"connections": n, "auth_ok": n, "auth_failed": n}

Replies chosen by the test: a recipient whose local part starts with "tempfail" gets
451, one starting with "reject" gets 550 (both quote the address, as servers do); a
message whose Subject contains REJECT-DATA gets 554 after its data.
"""

import argparse
import asyncio
import json
import os
import sys
import warnings
from email import policy
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

STATS = {"connections": 0, "auth_ok": 0, "auth_failed": 0}


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
    os.replace(tmp, path)


def strict_defects(data):
    """Everything policy.strict objects to in the message, as strings."""
    defects = []
    try:
        msg = BytesParser(policy=policy.strict).parsebytes(data)
        defects += [repr(d) for d in msg.defects]
        for name in msg.keys():
            for value in msg.get_all(name):
                defects += [repr(d) for d in getattr(value, "defects", [])]
        for part in msg.walk():
            defects += [repr(d) for d in part.defects]
            if not part.is_multipart():
                part.get_content()
        return defects, str(msg.get("subject", ""))
    except Exception as e:  # strict raises on the first defect
        return defects + ["raised: " + repr(e)], ""


class Handler:
    def __init__(self, store):
        self.store = store
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("tempfail"):
            return f"451 4.7.1 <{address}>: greylisted, try again later"
        if local.startswith("reject"):
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        defects, subject = strict_defects(data)
        if "REJECT-DATA" in subject:
            return "554 5.6.0 message refused by content filter"
        self.count += 1
        n = self.count
        base = os.path.join(self.store, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(data)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        write_json(base + ".json", {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "connection": server.connection_number,
            "auth_user": login.decode() if login else None,
            "defects": defects,
            "subject": subject,
        })
        return f"250 2.0.0 Ok: queued as Q{n:05d}"


class CountingSMTP(SMTP):
    def connection_made(self, transport):
        STATS["connections"] += 1
        self.connection_number = STATS["connections"]
        write_json(os.path.join(self.store_dir, "stats.json"), STATS)
        super().connection_made(transport)


def make_authenticator(store, user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        STATS["auth_ok" if ok else "auth_failed"] += 1
        write_json(os.path.join(store, "stats.json"), STATS)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticate


async def watch_parent(parent):
    while os.getppid() == parent:
        await asyncio.sleep(1)
    os._exit(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("--auth")
    args = parser.parse_args()
    handler = Handler(args.store)
    options = {"hostname": "herald-test", "decode_data": False, "enable_SMTPUTF8": True}
    if args.auth:
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        user, password = args.auth.split(":", 1)
        options.update(authenticator=make_authenticator(args.store, user, password),
                       auth_required=True, auth_require_tls=False)

    def factory():
        smtp = CountingSMTP(handler, **options)
        smtp.store_dir = args.store
        return smtp

    write_json(os.path.join(args.store, "stats.json"), STATS)
    server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    asyncio.ensure_future(watch_parent(os.getppid()))
    await server.serve_forever()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
