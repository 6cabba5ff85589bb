#!/usr/bin/python3
# A WebSocket client that nobody in this repository wrote (Python's
# `websockets`, Debian's python3-websockets) driving jaild's streaming exec
# on its UNIX socket, for the system tests.
#
#   ws_client.py run SOCKET JAIL START_JSON [STDIN_TEXT]
#       one session: sends the start message, then STDIN_TEXT as a binary
#       stdin message and "eof"; prints "stdout:", "stderr:" and "exit:" lines
#       (JSON strings) and "close: CODE"; exits 0.
#   ws_client.py run-https HOST:PORT,CA_FILE,TOKEN JAIL START_JSON [STDIN_TEXT]
#       the same over HTTPS (wss://), the server verified against CA_FILE,
#       TOKEN sent as a bearer token ("-" sends none).
#   ws_client.py vanish SOCKET JAIL COUNT GO_FILE
#       COUNT sessions at once, each running a command that says "ready" and
#       then waits; once all are ready, prints "ready COUNT", waits for
#       GO_FILE to exist, then drops every connection without a close frame
#       and exits.
import asyncio
import json
import os
import ssl
import sys

import websockets


def uri(jail):
    return "ws://localhost/v1/jails/%s/exec" % jail


def connect(where, jail):
    """The UNIX socket at `where`, or HOST:PORT,CA_FILE,TOKEN over TLS."""
    if "," not in where:
        return websockets.unix_connect(where, uri(jail), max_size=None)
    address, ca_file, token = where.split(",")
    tls = ssl.create_default_context(cafile=ca_file)
    headers = {} if token == "-" else {"Authorization": "Bearer " + token}
    return websockets.connect("wss://%s/v1/jails/%s/exec" % (address, jail), ssl=tls,
                              extra_headers=headers, max_size=None)


async def run(where, jail, start, stdin_text):
    out, err, status = b"", b"", None
    try:
        ws = await connect(where, jail)
    except websockets.InvalidStatusCode as refused:  # refused before the upgrade
        print("refused:", refused.status_code)
        return
    try:
        await ws.send(start)
        if stdin_text is not None:
            await ws.send(b"\x00" + stdin_text.encode())
            await ws.send(json.dumps({"type": "eof"}))
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    if message[:1] == b"\x01":
                        out += message[1:]
                    elif message[:1] == b"\x02":
                        err += message[1:]
                else:
                    m = json.loads(message)
                    if m.get("type") in ("exit", "error"):
                        status = m
        except websockets.ConnectionClosed:
            pass
    finally:
        await ws.close()
    code = ws.close_code
    print("stdout:", json.dumps(out.decode(errors="replace")))
    print("stderr:", json.dumps(err.decode(errors="replace")))
    print("exit:", json.dumps(status))
    print("close:", code)


async def one_waiting(socket, jail, ready):
    ws = await websockets.unix_connect(socket, uri(jail), max_size=None)
    await ws.send(json.dumps({"argv": ["sh", "-c", "echo ready; exec sleep 300"]}))
    while True:
        message = await ws.recv()
        if isinstance(message, bytes) and b"ready" in message:
            break
    ready.append(ws)


async def vanish(socket, jail, count, go):
    ready = []
    await asyncio.gather(*(one_waiting(socket, jail, ready) for _ in range(count)))
    print("ready", len(ready), flush=True)
    while not os.path.exists(go):
        await asyncio.sleep(0.05)
    for ws in ready:
        ws.transport.abort()  # no close frame: the client just disappears


def main():
    mode, socket, jail = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode in ("run", "run-https"):
        stdin_text = sys.argv[5] if len(sys.argv) > 5 else None
        asyncio.run(run(socket, jail, sys.argv[4], stdin_text))
    elif mode == "vanish":
        asyncio.run(vanish(socket, jail, int(sys.argv[4]), sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)


main()
