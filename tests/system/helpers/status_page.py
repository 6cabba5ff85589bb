#!/usr/bin/python3
# Drives Debian's chromium, headless, through the DevTools protocol (with
# Python's websockets) against jaild's status page, for the system tests.
#
#   status_page.py URL JAIL SCREENSHOT GO_FILE
#
# Opens URL (the page, a token in its fragment), waits until the page shows
# JAIL as "stopped" and prints "seen stopped"; then waits for GO_FILE (the
# test starts the jail meanwhile) and until the same row shows "running"
# without a reload, prints "seen running" and what refreshed the page last
# ("refreshed by: event"), the texts of the boot plan and of
# the operations list ("waves: ...", "operations: ..."), saves a PNG
# screenshot to SCREENSHOT, prints "errors: N" (JavaScript exceptions and
# refused loads the page met) and exits 0. Any timeout exits 1 with why.
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

import websockets

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Page:
    def __init__(self, ws, session):
        self.ws, self.session, self.next_id = ws, session, 0
        self.replies, self.events = {}, []

    async def pump(self):
        async for raw in self.ws:
            m = json.loads(raw)
            if "id" in m:
                self.replies[m["id"]] = m
            else:
                self.events.append(m)

    async def call(self, method, params=None, session=True):
        self.next_id += 1
        i = self.next_id
        m = {"id": i, "method": method, "params": params or {}}
        if session and self.session:
            m["sessionId"] = self.session
        await self.ws.send(json.dumps(m))
        for _ in range(3000):
            if i in self.replies:
                reply = self.replies.pop(i)
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply["result"]
            await asyncio.sleep(0.01)
        raise RuntimeError(method + ": no answer")

    async def evaluate(self, expression):
        r = await self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return r.get("result", {}).get("value")

    async def wait_for(self, expression, want, seconds):
        for _ in range(int(seconds * 10)):
            if await self.evaluate(expression) == want:
                return True
            await asyncio.sleep(0.1)
        return False


async def drive(endpoint, url, jail, screenshot, go):
    async with websockets.connect(endpoint, max_size=None) as ws:
        page = Page(ws, None)
        pump = asyncio.ensure_future(page.pump())
        target = (await page.call("Target.createTarget", {"url": "about:blank"}))["targetId"]
        page.session = (await page.call("Target.attachToTarget",
                                        {"targetId": target, "flatten": True}))["sessionId"]
        await page.call("Runtime.enable")
        await page.call("Log.enable")
        await page.call("Page.enable")
        await page.call("Emulation.setDeviceMetricsOverride",
                        {"width": 1100, "height": 700, "deviceScaleFactor": 1, "mobile": False})
        await page.call("Page.navigate", {"url": url})
        state = ('(() => { const r = document.querySelector(\'tr[data-jail="%s"] .state\');'
                 ' return r ? r.textContent : null; })()' % jail)
        if not await page.wait_for(state, "stopped", 30):
            sys.exit("the page never showed %s stopped (it showed %r)" %
                     (jail, await page.evaluate(state)))
        print("seen stopped", flush=True)
        while not os.path.exists(go):
            await asyncio.sleep(0.05)
        if not await page.wait_for(state, "running", 30):
            sys.exit("the page never showed %s running (it showed %r)" %
                     (jail, await page.evaluate(state)))
        print("seen running", flush=True)
        # Seen because an event came, not because of the 5 s usage refresh.
        print("refreshed by:", await page.evaluate(
            "document.querySelector('tr[data-jail=\"%s\"]').dataset.changedBy" % jail))
        print("waves:", json.dumps(await page.evaluate(
            "document.getElementById('waves').innerText")))
        # The operations list follows the events too: wait for the start.
        await page.wait_for("document.getElementById('operations').innerText.includes('start')",
                            True, 10)
        print("operations:", json.dumps(await page.evaluate(
            "document.getElementById('operations').innerText")))
        print("address bar:", json.dumps(await page.evaluate("location.href")))
        shot = await page.call("Page.captureScreenshot", {"format": "png"})
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        errors = [e for e in page.events
                  if e.get("method") == "Runtime.exceptionThrown"
                  or (e.get("method") == "Log.entryAdded"
                      and e["params"]["entry"].get("level") == "error")]
        for e in errors:
            print("error:", json.dumps(e["params"]))
        print("errors:", len(errors), flush=True)
        pump.cancel()


def main():
    url, jail, screenshot, go = sys.argv[1:5]
    profile = tempfile.mkdtemp(prefix="jaild-chromium.")
    # root needs --no-sandbox; the test's own CA is not the system's, so its
    # certificate errors are ignored (the page is what is under test, not TLS).
    browser = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--ignore-certificate-errors",
         "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = None
        for line in browser.stderr:
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                endpoint = m.group(1)
                break
        if not endpoint:
            sys.exit("chromium did not start its DevTools endpoint")
        # Keep reading chromium's stderr, so that it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in browser.stderr], daemon=True).start()
        asyncio.run(drive(endpoint, url, jail, screenshot, go))
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


main()
