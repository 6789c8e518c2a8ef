"""Open TCP connections and say how each went: open, refused or timeout (a silent drop).

Usage: probe.py HOST PORT [COUNT] [TIMEOUT]. Prints one JSON list, e.g. ["open", "timeout"].
A firewall DROP shows as timeout; no listener behind an open port shows as refused.
"""

import json
import socket
import sys


def probe(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as exc:
        return "error: %s" % exc


def main(argv):
    host, port = argv[1], int(argv[2])
    count = int(argv[3]) if len(argv) > 3 else 1
    timeout = float(argv[4]) if len(argv) > 4 else 3.0
    print(json.dumps([probe(host, port, timeout) for dummy in range(count)]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
