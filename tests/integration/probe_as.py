"""Send requests to mgd as whatever user runs this script (the login-class
test runs it as nobody).  Arguments: ROOT, then command:LINE or rpc:XML."""
import sys

from mgdclient import Client

c = Client(sys.argv[1])
for arg in sys.argv[2:]:
    kind, _, body = arg.partition(":")
    r = c.command(body) if kind == "command" else c.rpc(body)
    print(r.raw)
