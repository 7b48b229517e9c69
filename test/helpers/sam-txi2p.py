# A SAM client nobody here wrote: Debian's txi2p (python3-txi2p-tahoe, Twisted), against our
# SAM bridge. Run with Debian's python (/usr/bin/python3), where the package lives.
# It generates a destination (DEST GENERATE) into a key file, runs an echo server on it through
# one router's SAM (SESSION CREATE with those keys, NAMING LOOKUP ME, STREAM ACCEPT), and from a
# second router's SAM connects to the server's b32 address (its own session; NAMING LOOKUP of
# the b32, then STREAM CONNECT), sends PAYLOAD_BYTES and checks the echo by SHA-256.
# Prints one JSON line and exits 0 when the echo matched.
# Usage: sam-txi2p.py SERVER_SAM_HOST SERVER_SAM_PORT CLIENT_SAM_HOST CLIENT_SAM_PORT KEYFILE PAYLOAD_BYTES
import hashlib, json, os, sys

from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint
from txi2p.sam.endpoints import SAMI2PStreamClientEndpoint, SAMI2PStreamServerEndpoint
from txi2p.sam.session import generateDestination

s_host, s_port, c_host, c_port, keyfile, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
options = {"inbound.length": "2", "outbound.length": "2", "inbound.quantity": "2", "outbound.quantity": "2"}
result = {"ok": False}
payload = os.urandom(size)


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class EchoFactory(protocol.Factory):
    protocol = Echo


class Sender(protocol.Protocol):
    def connectionMade(self):
        self.got = []
        self.n = 0
        self.transport.write(payload)

    def dataReceived(self, data):
        self.got.append(data)
        self.n += len(data)
        if self.n >= len(payload):
            echoed = b"".join(self.got)
            result.update(ok=hashlib.sha256(echoed).hexdigest() == hashlib.sha256(payload).hexdigest(), echoed=len(echoed), sha256=hashlib.sha256(echoed).hexdigest())
            self.transport.loseConnection()
            reactor.callLater(0.2, reactor.stop)


class SenderFactory(protocol.ClientFactory):
    protocol = Sender


@defer.inlineCallbacks
def main():
    server_sam = TCP4ClientEndpoint(reactor, s_host, s_port)
    client_sam = TCP4ClientEndpoint(reactor, c_host, c_port)
    dest = yield generateDestination(keyfile, server_sam)
    result["generated"] = dest.host
    server = SAMI2PStreamServerEndpoint.new(server_sam, keyfile, nickname="txi2p-server-%d" % os.getpid(), options=options)
    port = yield server.listen(EchoFactory())
    address = port.getHost()
    result["server"] = address.host
    client = SAMI2PStreamClientEndpoint.new(client_sam, address.host, nickname="txi2p-client-%d" % os.getpid(), options=options)
    yield client.connect(SenderFactory())


def failed(f):
    result["error"] = f.getErrorMessage()
    reactor.stop()


reactor.callWhenRunning(lambda: main().addErrback(failed))
reactor.callLater(240, lambda: (result.update(error="timed out"), reactor.stop()))
reactor.run()
print(json.dumps(result))
sys.exit(0 if result["ok"] else 1)
