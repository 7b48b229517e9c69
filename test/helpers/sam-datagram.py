# SAM v3 datagram peer for interop tests, run inside the i2pd test namespace. It opens a
# DATAGRAM and a RAW session on one i2pd router, prints one JSON line with both destinations,
# then echoes: every repliable datagram goes back to its sender, every raw datagram goes to the
# destination given on the command line. It counts what it saw and, on SIGTERM (or after
# MAX_SECONDS), prints a final JSON line with the counts and exits.
# Until anything arrives, both sessions say hello to that destination unprompted (every 2 s, at
# most 15 times): the RAW session "hello-from-i2pd", the DATAGRAM session (repliable)
# "hello-datagram-from-i2pd". i2pd has to look the LeaseSet2 up in the netDb to do so. (NAMING
# LOOKUP would say the same, but i2pd 2.45.1 crashes on it in these test networks.)
# Usage: sam-datagram.py SAM_PORT RAW_REPLY_DEST_BASE64 [OPTION=VALUE ...]
import json, signal, socket, sys, threading, time

port, raw_reply_to, options = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
MAX_SECONDS = 600
counts = {"datagramIn": 0, "datagramOut": 0, "rawIn": 0, "rawOut": 0}
done = threading.Event()


def line(f):
    l = f.readline()
    if not l:
        raise SystemExit(json.dumps({"ok": False, "error": "SAM closed the connection"}))
    return l.decode().strip()


def session(style, sid):
    s = socket.create_connection(("127.0.0.1", port), timeout=300)
    f = s.makefile("rb")
    s.sendall(b"HELLO VERSION MIN=3.1 MAX=3.3\n")
    r = line(f)
    if "RESULT=OK" not in r:
        raise SystemExit(json.dumps({"ok": False, "error": r}))
    s.sendall(("SESSION CREATE STYLE=%s ID=%s DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4 %s\n" % (style, sid, " ".join(options))).encode())
    r = line(f)
    if "RESULT=OK" not in r:
        raise SystemExit(json.dumps({"ok": False, "error": r}))
    dest = r.split("DESTINATION=", 1)[1].split()[0]
    return s, f, dest


tag = int(time.time() * 1000)
results = {}


def open_session(style):
    results[style] = session(style, "%s%d" % (style.lower(), tag))


# One after the other: i2pd 2.45.1 has been seen to fall over with simultaneous SESSION CREATEs.
for st in ("DATAGRAM", "RAW"):
    open_session(st)
(ds, df, ddest), (rs, rf, rdest) = results["DATAGRAM"], results["RAW"]
heard = threading.Event()
# Datagrams go out through the bridge's UDP port (SAM v3; i2pd listens one below the TCP port).
# On the TCP socket, i2pd 2.45 takes one DATAGRAM SEND per read and keeps the rest buffered until
# more bytes come: the last few of a burst would wait there for ever.
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)


def send(style, dest, data):
    udp.sendto(("3.0 %s%d %s\n" % (style.lower(), tag, dest)).encode() + data, ("127.0.0.1", port - 1))


def hello():
    # i2pd drops a datagram while it is still looking the LeaseSet up: say it a few times, until
    # something arrives. The DATAGRAM session's hello is repliable: i2pd bundles that session's
    # LeaseSet with it, so the other side can answer even when i2pd has not published it (2.45
    # skips a publication asked for before its outbound tunnels exist, and may not retry for minutes).
    for _ in range(15):
        if done.is_set() or heard.is_set():
            return
        send("RAW", raw_reply_to, b"hello-from-i2pd")
        counts["rawOut"] += 1
        send("DATAGRAM", raw_reply_to, b"hello-datagram-from-i2pd")
        counts["datagramOut"] += 1
        time.sleep(2)


threading.Thread(target=hello, daemon=True).start()
# DESTINATION= in the reply is the session's private keys; the caller takes the public part.
print(json.dumps({"ok": True, "datagramSession": ddest, "rawSession": rdest}), flush=True)


def pump(sock, f, style):
    sock.settimeout(None)
    while not done.is_set():
        header = f.readline()
        if not header:
            return
        h = header.decode().strip()
        size = int(h.split("SIZE=", 1)[1].split()[0])
        data = f.read(size)
        heard.set()
        if style == "DATAGRAM":
            counts["datagramIn"] += 1
            sender = h.split("DESTINATION=", 1)[1].split()[0]
            send("DATAGRAM", sender, data)
            counts["datagramOut"] += 1
        else:
            counts["rawIn"] += 1
            send("RAW", raw_reply_to, data)
            counts["rawOut"] += 1


signal.signal(signal.SIGTERM, lambda *_: done.set())
workers = [threading.Thread(target=pump, args=(ds, df, "DATAGRAM"), daemon=True), threading.Thread(target=pump, args=(rs, rf, "RAW"), daemon=True)]
for w in workers:
    w.start()
done.wait(MAX_SECONDS)
done.set()
print(json.dumps({"ok": True, "counts": counts}), flush=True)
