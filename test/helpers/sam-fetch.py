# SAM v3 client for interop tests: HELLO, SESSION CREATE (transient, with the given options),
# STREAM CONNECT to a b32, GET a path; prints one JSON line. Runs inside the i2pd test namespace.
# Usage: sam-fetch.py SAM_PORT B32 PATH [OPTION=VALUE ...]
import json, socket, sys, time

port, b32, path, options = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
deadline = time.monotonic() + 240


def line(f):
    l = f.readline()
    if not l:
        raise SystemExit(json.dumps({"ok": False, "error": "SAM closed the connection"}))
    return l.decode().strip()


def ctl():
    s = socket.create_connection(("127.0.0.1", port), timeout=200)
    return s, s.makefile("rb")


t0 = time.monotonic()
c, cf = ctl()
c.sendall(b"HELLO VERSION MIN=3.1 MAX=3.3\n")
r = line(cf)
if "RESULT=OK" not in r:
    raise SystemExit(json.dumps({"ok": False, "error": r}))
sid = "anon%d" % int(time.time() * 1000)
c.sendall(("SESSION CREATE STYLE=STREAM ID=%s DESTINATION=TRANSIENT SIGNATURE_TYPE=7 %s\n" % (sid, " ".join(options))).encode())
r = line(cf)
if "RESULT=OK" not in r:
    raise SystemExit(json.dumps({"ok": False, "error": r}))
session_s = time.monotonic() - t0
attempts = 0
while time.monotonic() < deadline:
    attempts += 1
    s, sf = ctl()
    s.sendall(b"HELLO VERSION MIN=3.1 MAX=3.3\n")
    line(sf)
    s.sendall(("STREAM CONNECT ID=%s DESTINATION=%s SILENT=false\n" % (sid, b32)).encode())
    r = line(sf)
    if "RESULT=OK" in r:
        break
    s.close()
    time.sleep(2)
else:
    raise SystemExit(json.dumps({"ok": False, "error": "STREAM CONNECT failed: " + r, "attempts": attempts}))
ts = time.monotonic()
s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, b32)).encode())
body = sf.read()
status = body.split(b"\r\n", 1)[0].decode(errors="replace")
print(json.dumps({"ok": True, "status": status, "bytes": len(body), "sessionSeconds": round(session_s, 3), "fetchSeconds": round(time.monotonic() - ts, 3), "attempts": attempts}))
c.close()
