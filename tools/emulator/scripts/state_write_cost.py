#!/usr/bin/env python3
import json, subprocess, sys, time, http.client, os, tempfile
# Measures one --state write (a single-indicator create) with 1,000 and 100,000 indicators
# stored. Usage: python3 tools/emulator/scripts/state_write_cost.py build/emu/tools/emulator/falcon-emulator
BIN = sys.argv[1]
def run(n):
    d = tempfile.mkdtemp()
    p = subprocess.Popen([BIN, "--port", "0", "--state", d + "/state.json", "--rate-limit", "100000000"], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline(); port = int(line.split("127.0.0.1:")[1].split()[0])
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/oauth2/token", "client_id=falcon-emulator-demo&client_secret=falcon-emulator-demo-secret", {"Content-Type": "application/x-www-form-urlencoded"})
    tok = json.loads(c.getresponse().read())["access_token"]
    h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
    k = 0
    while k < n:
        m = min(2000, n - k)
        items = [{"type": "domain", "value": "d%d.example.com" % (k + i), "action": "detect", "severity": "high", "platforms": ["windows"], "applied_globally": True} for i in range(m)]
        c.request("POST", "/iocs/entities/indicators/v1", json.dumps({"indicators": items}), h); r = c.getresponse(); r.read(); assert r.status == 201
        k += m
    t = []
    for i in range(50):
        body = json.dumps({"indicators": [{"type": "domain", "value": "w%d.example.com" % i, "action": "detect", "severity": "high", "platforms": ["windows"], "applied_globally": True}]})
        s = time.perf_counter(); c.request("POST", "/iocs/entities/indicators/v1", body, h); r = c.getresponse(); r.read(); t.append(time.perf_counter() - s); assert r.status == 201
    p.terminate(); p.wait()
    t.sort()
    print("records=%d  write median %.2f ms  p90 %.2f ms" % (n, t[25] * 1000, t[45] * 1000))
for n in (1000, 100000): run(n)
