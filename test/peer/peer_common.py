"""What both peer scripts share: the result channel and the command line.

stdout carries the 64-byte HID records, so nothing else may be printed there; results go to fd 3
(or to stderr, prefixed, when the parent did not open fd 3).
"""
import json
import os
import sys

RESULT_FD = 3


def emit(result):
    data = (json.dumps(result) + "\n").encode()
    try:
        os.write(RESULT_FD, data)
    except OSError:
        sys.stderr.write("PEER-RESULT " + data.decode())


def scenario_from_argv(argv, script, scenarios):
    """Returns (scenario, params), or None after emitting a usage error."""
    sys.stdout = sys.stderr
    if len(argv) < 2 or argv[1] not in scenarios:
        emit({"ok": False, "error": "usage: %s <%s> [params-json]" % (script, "|".join(scenarios))})
        return None
    return argv[1], (json.loads(argv[2]) if len(argv) > 2 else {})
