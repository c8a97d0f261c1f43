"""libfido2 1.12 (Debian's libfido2-1) as an independent CTAP2 client of keybench's virtual key.

Usage: /usr/bin/python3 -u peer_libfido2.py <scenario> [params-json]

libfido2 is driven through ctypes: fido_dev_set_io_functions hands it our own open/close/read/write, so
libfido2's own CTAPHID framing (its strict 17-byte INIT check included) talks to the key over this
process's stdin and stdout, one 64-byte record per HID report (the test harness bridges them to the key
with serveStdio). libfido2 writes 65 bytes per report (report id 0x00 first); the id is stripped here.
The outcome is one JSON object on fd 3 (stderr when fd 3 is not open). FIDO_DEBUG=1 in the environment
makes libfido2 log every frame to stderr. Nothing else may reach stdout, so print() goes to stderr.
"""

import ctypes
import hashlib
import os
import select
import sys
import time
import traceback
from ctypes import CFUNCTYPE, POINTER, Structure, byref, c_bool, c_char_p, c_int, c_size_t, c_ubyte, c_uint8, c_uint64, c_void_p

from peer_common import emit, scenario_from_argv

REPORT_SIZE = 64
STDIN_FD = 0
STDOUT_FD = 1
# libfido2 passes ms = -1 ("block") by default; a stuck bridge must still end the run.
BLOCKING_READ_LIMIT_S = 8.0

FIDO_OK = 0
COSE_ES256 = -7
FIDO_OPT_TRUE = 2

lib = ctypes.CDLL("libfido2.so.1")

OPEN_FN = CFUNCTYPE(c_void_p, c_char_p)
CLOSE_FN = CFUNCTYPE(None, c_void_p)
READ_FN = CFUNCTYPE(c_int, c_void_p, POINTER(c_ubyte), c_size_t, c_int)
WRITE_FN = CFUNCTYPE(c_int, c_void_p, POINTER(c_ubyte), c_size_t)


class FidoDevIo(Structure):
    """fido_dev_io_t from <fido/types.h>."""

    _fields_ = [("open", OPEN_FN), ("close", CLOSE_FN), ("read", READ_FN), ("write", WRITE_FN)]


def declare(name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


fido_init = declare("fido_init", None, c_int)
fido_strerr = declare("fido_strerr", c_char_p, c_int)
fido_dev_new = declare("fido_dev_new", c_void_p)
fido_dev_free = declare("fido_dev_free", None, POINTER(c_void_p))
fido_dev_set_io_functions = declare("fido_dev_set_io_functions", c_int, c_void_p, POINTER(FidoDevIo))
fido_dev_open = declare("fido_dev_open", c_int, c_void_p, c_char_p)
fido_dev_close = declare("fido_dev_close", c_int, c_void_p)
fido_dev_is_fido2 = declare("fido_dev_is_fido2", c_bool, c_void_p)
fido_dev_protocol = declare("fido_dev_protocol", c_uint8, c_void_p)
fido_dev_major = declare("fido_dev_major", c_uint8, c_void_p)
fido_dev_minor = declare("fido_dev_minor", c_uint8, c_void_p)
fido_dev_build = declare("fido_dev_build", c_uint8, c_void_p)
fido_dev_flags = declare("fido_dev_flags", c_uint8, c_void_p)
fido_dev_set_pin = declare("fido_dev_set_pin", c_int, c_void_p, c_char_p, c_char_p)
fido_dev_get_retry_count = declare("fido_dev_get_retry_count", c_int, c_void_p, POINTER(c_int))
fido_dev_set_pin_minlen = declare("fido_dev_set_pin_minlen", c_int, c_void_p, c_size_t, c_char_p)
fido_dev_force_pin_change = declare("fido_dev_force_pin_change", c_int, c_void_p, c_char_p)
fido_dev_make_cred = declare("fido_dev_make_cred", c_int, c_void_p, c_void_p, c_char_p)
fido_dev_get_cbor_info = declare("fido_dev_get_cbor_info", c_int, c_void_p, c_void_p)

fido_cbor_info_new = declare("fido_cbor_info_new", c_void_p)
fido_cbor_info_free = declare("fido_cbor_info_free", None, POINTER(c_void_p))
fido_cbor_info_versions_ptr = declare("fido_cbor_info_versions_ptr", POINTER(c_char_p), c_void_p)
fido_cbor_info_versions_len = declare("fido_cbor_info_versions_len", c_size_t, c_void_p)
fido_cbor_info_extensions_ptr = declare("fido_cbor_info_extensions_ptr", POINTER(c_char_p), c_void_p)
fido_cbor_info_extensions_len = declare("fido_cbor_info_extensions_len", c_size_t, c_void_p)
fido_cbor_info_aaguid_ptr = declare("fido_cbor_info_aaguid_ptr", POINTER(c_ubyte), c_void_p)
fido_cbor_info_aaguid_len = declare("fido_cbor_info_aaguid_len", c_size_t, c_void_p)
fido_cbor_info_options_name_ptr = declare("fido_cbor_info_options_name_ptr", POINTER(c_char_p), c_void_p)
fido_cbor_info_options_value_ptr = declare("fido_cbor_info_options_value_ptr", POINTER(c_bool), c_void_p)
fido_cbor_info_options_len = declare("fido_cbor_info_options_len", c_size_t, c_void_p)
fido_cbor_info_protocols_ptr = declare("fido_cbor_info_protocols_ptr", POINTER(c_uint8), c_void_p)
fido_cbor_info_protocols_len = declare("fido_cbor_info_protocols_len", c_size_t, c_void_p)
fido_cbor_info_maxmsgsiz = declare("fido_cbor_info_maxmsgsiz", c_uint64, c_void_p)
fido_cbor_info_minpinlen = declare("fido_cbor_info_minpinlen", c_uint64, c_void_p)
fido_cbor_info_fwversion = declare("fido_cbor_info_fwversion", c_uint64, c_void_p)
fido_cbor_info_new_pin_required = declare("fido_cbor_info_new_pin_required", c_bool, c_void_p)

fido_cred_new = declare("fido_cred_new", c_void_p)
fido_cred_free = declare("fido_cred_free", None, POINTER(c_void_p))
fido_cred_set_type = declare("fido_cred_set_type", c_int, c_void_p, c_int)
fido_cred_set_clientdata_hash = declare("fido_cred_set_clientdata_hash", c_int, c_void_p, c_char_p, c_size_t)
fido_cred_set_rp = declare("fido_cred_set_rp", c_int, c_void_p, c_char_p, c_char_p)
fido_cred_set_user = declare("fido_cred_set_user", c_int, c_void_p, c_char_p, c_size_t, c_char_p, c_char_p, c_char_p)
fido_cred_set_prot = declare("fido_cred_set_prot", c_int, c_void_p, c_int)
fido_cred_set_rk = declare("fido_cred_set_rk", c_int, c_void_p, c_int)
fido_cred_verify = declare("fido_cred_verify", c_int, c_void_p)
fido_cred_prot = declare("fido_cred_prot", c_int, c_void_p)
fido_cred_fmt = declare("fido_cred_fmt", c_char_p, c_void_p)
fido_cred_flags = declare("fido_cred_flags", c_uint8, c_void_p)
fido_cred_id_len = declare("fido_cred_id_len", c_size_t, c_void_p)
fido_cred_x5c_len = declare("fido_cred_x5c_len", c_size_t, c_void_p)


class FidoError(Exception):
    """A libfido2 call returned something other than FIDO_OK."""

    def __init__(self, call, code):
        super().__init__("%s returned %d (%s)" % (call, code, fido_strerr(code).decode()))
        self.code = code


def check(call, code):
    if code != FIDO_OK:
        raise FidoError(call, code)


def read_record(timeout_s):
    """One 64-byte record from stdin, or None if none starts within timeout_s. A started record is finished."""
    record = b""
    deadline = time.monotonic() + timeout_s
    while len(record) < REPORT_SIZE:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if not record:
                return None
            # Half a record: the rest is already on its way, never leave the stream misaligned.
            deadline = time.monotonic() + BLOCKING_READ_LIMIT_S
            remaining = BLOCKING_READ_LIMIT_S
        readable, _, _ = select.select([STDIN_FD], [], [], remaining)
        if not readable:
            continue
        chunk = os.read(STDIN_FD, REPORT_SIZE - len(record))
        if not chunk:
            raise EOFError("the key's report stream ended")
        record += chunk
    return record


def io_open(_path):
    return 1


def io_close(_handle):
    pass


def io_read(_handle, buf, length, ms):
    # Exceptions must not escape into C: ctypes would print them and return 0 ("0 bytes read").
    try:
        if length != REPORT_SIZE:
            sys.stderr.write("peer: libfido2 asked for %d bytes, reports are %d\n" % (length, REPORT_SIZE))
            return -1
        record = read_record(BLOCKING_READ_LIMIT_S if ms < 0 else ms / 1000.0)
        if record is None:
            return -1
        ctypes.memmove(buf, record, REPORT_SIZE)
        return REPORT_SIZE
    except Exception:
        traceback.print_exc()
        return -1


def io_write(_handle, buf, length):
    try:
        data = ctypes.string_at(buf, length)
        if length != REPORT_SIZE + 1 or data[0] != 0:
            sys.stderr.write("peer: libfido2 wrote %d bytes, expected report id 0 + %d\n" % (length, REPORT_SIZE))
            return -1
        view = memoryview(data[1:])
        while view:
            view = view[os.write(STDOUT_FD, view):]
        return length
    except Exception:
        traceback.print_exc()
        return -1


# Module-level so the callbacks outlive every libfido2 call that may use them.
IO = FidoDevIo(OPEN_FN(io_open), CLOSE_FN(io_close), READ_FN(io_read), WRITE_FN(io_write))


def open_device():
    """fido_dev_open over our io functions: CTAPHID INIT (strict 17-byte reply), then getInfo."""
    dev = fido_dev_new()
    check("fido_dev_set_io_functions", fido_dev_set_io_functions(dev, byref(IO)))
    check("fido_dev_open", fido_dev_open(dev, b"keybench-virtual"))
    return dev


def c_strings(pointer, length):
    return [pointer[i].decode() for i in range(length)]


def cbor_info(dev):
    info = fido_cbor_info_new()
    try:
        check("fido_dev_get_cbor_info", fido_dev_get_cbor_info(dev, info))
        names = fido_cbor_info_options_name_ptr(info)
        values = fido_cbor_info_options_value_ptr(info)
        protocols = fido_cbor_info_protocols_ptr(info)
        aaguid = fido_cbor_info_aaguid_ptr(info)
        return {
            "versions": c_strings(fido_cbor_info_versions_ptr(info), fido_cbor_info_versions_len(info)),
            "extensions": c_strings(fido_cbor_info_extensions_ptr(info), fido_cbor_info_extensions_len(info)),
            "aaguid": bytes(aaguid[i] for i in range(fido_cbor_info_aaguid_len(info))).hex(),
            "options": {names[i].decode(): bool(values[i]) for i in range(fido_cbor_info_options_len(info))},
            "pinUvAuthProtocols": [protocols[i] for i in range(fido_cbor_info_protocols_len(info))],
            "maxMsgSize": fido_cbor_info_maxmsgsiz(info),
            "minPinLength": fido_cbor_info_minpinlen(info),
            "firmwareVersion": fido_cbor_info_fwversion(info),
            "forcePinChange": bool(fido_cbor_info_new_pin_required(info)),
        }
    finally:
        fido_cbor_info_free(byref(c_void_p(info)))


def retries(dev):
    count = c_int(-1)
    check("fido_dev_get_retry_count", fido_dev_get_retry_count(dev, byref(count)))
    return count.value


def scenario_get_info(dev, params):
    return {
        "isFido2": bool(fido_dev_is_fido2(dev)),
        "ctaphidVersion": fido_dev_protocol(dev),
        "deviceVersion": [fido_dev_major(dev), fido_dev_minor(dev), fido_dev_build(dev)],
        "capabilities": fido_dev_flags(dev),
        "info": cbor_info(dev),
    }


def scenario_pin(dev, params):
    """setPIN then changePIN; libfido2 picks protocol 2 when the key lists it, so the key's knob forces 1."""
    pin, new_pin = params["pin"].encode(), params["newPin"].encode()
    steps = {"retriesBeforeSet": retries(dev)}
    check("fido_dev_set_pin (set)", fido_dev_set_pin(dev, pin, None))
    steps["retriesAfterSet"] = retries(dev)
    check("fido_dev_set_pin (change)", fido_dev_set_pin(dev, new_pin, pin))
    steps["retriesAfterChange"] = retries(dev)
    steps["oldPinAsCurrentError"] = fido_dev_set_pin(dev, pin, pin)
    steps["retriesAtEnd"] = retries(dev)
    steps["clientPinOption"] = cbor_info(dev)["options"].get("clientPin")
    return steps


def scenario_min_pin_force(dev, params):
    """setMinPINLength, then forceChangePin; PIN-based tokens fail with PIN_INVALID until the PIN changes."""
    pin, new_pin = params["pin"].encode(), params["newPin"].encode()
    check("fido_dev_set_pin (set)", fido_dev_set_pin(dev, pin, None))
    check("fido_dev_set_pin_minlen", fido_dev_set_pin_minlen(dev, params["minPinLength"], pin))
    check("fido_dev_force_pin_change", fido_dev_force_pin_change(dev, pin))
    forced = cbor_info(dev)
    steps = {
        "infoAfterConfig": {"forcePinChange": forced["forcePinChange"], "minPinLength": forced["minPinLength"]},
        "configErrorWhileForced": fido_dev_set_pin_minlen(dev, params["minPinLength"], pin),
    }
    check("fido_dev_set_pin (change)", fido_dev_set_pin(dev, new_pin, pin))
    changed = cbor_info(dev)
    steps["infoAfterChange"] = {"forcePinChange": changed["forcePinChange"], "minPinLength": changed["minPinLength"]}
    steps["retriesAtEnd"] = retries(dev)
    return steps


def scenario_make_credential(dev, params):
    """fido_dev_make_cred with credProtect and a PIN (libfido2 gets the token), then fido_cred_verify."""
    pin = params["pin"].encode()
    check("fido_dev_set_pin (set)", fido_dev_set_pin(dev, pin, None))
    cred = fido_cred_new()
    try:
        client_data_hash = hashlib.sha256(params["clientData"].encode()).digest()
        user_id = bytes.fromhex(params["userIdHex"])
        check("fido_cred_set_type", fido_cred_set_type(cred, COSE_ES256))
        check("fido_cred_set_clientdata_hash", fido_cred_set_clientdata_hash(cred, client_data_hash, len(client_data_hash)))
        check("fido_cred_set_rp", fido_cred_set_rp(cred, params["rpId"].encode(), params["rpName"].encode()))
        check(
            "fido_cred_set_user",
            fido_cred_set_user(cred, user_id, len(user_id), params["userName"].encode(), params["userDisplayName"].encode(), None),
        )
        check("fido_cred_set_prot", fido_cred_set_prot(cred, params["credProtect"]))
        check("fido_cred_set_rk", fido_cred_set_rk(cred, FIDO_OPT_TRUE))
        check("fido_dev_make_cred", fido_dev_make_cred(dev, cred, pin))
        verified = fido_cred_verify(cred)
        other = hashlib.sha256(b"another client").digest()
        check("fido_cred_set_clientdata_hash", fido_cred_set_clientdata_hash(cred, other, len(other)))
        tampered = fido_cred_verify(cred)
        return {
            "fmt": fido_cred_fmt(cred).decode(),
            "verify": verified,
            "verifyTampered": tampered,
            "prot": fido_cred_prot(cred),
            "flags": fido_cred_flags(cred),
            "credentialIdLength": fido_cred_id_len(cred),
            "x5cLength": fido_cred_x5c_len(cred),
        }
    finally:
        fido_cred_free(byref(c_void_p(cred)))


def scenario_wrong_pin(dev, params):
    """changePIN with a wrong current PIN three times: PIN_INVALID, PIN_INVALID, PIN_AUTH_BLOCKED."""
    pin, new_pin, wrong = params["pin"].encode(), params["newPin"].encode(), params["wrongPin"].encode()
    check("fido_dev_set_pin (set)", fido_dev_set_pin(dev, pin, None))
    errors = [fido_dev_set_pin(dev, new_pin, wrong) for _ in range(3)]
    return {"wrongPinErrors": errors, "retriesAtEnd": retries(dev)}


SCENARIOS = {
    "get-info": scenario_get_info,
    "pin": scenario_pin,
    "min-pin-force": scenario_min_pin_force,
    "make-credential": scenario_make_credential,
    "wrong-pin": scenario_wrong_pin,
}


def main(argv):
    parsed = scenario_from_argv(argv, "peer_libfido2.py", SCENARIOS)
    if parsed is None:
        return 2
    scenario, params = parsed
    fido_init(0)
    result = {"peer": "libfido2", "scenario": scenario}
    dev = None
    try:
        dev = open_device()
        result.update(ok=True, **SCENARIOS[scenario](dev, params))
    except FidoError as e:
        result.update(ok=False, error=str(e), fidoError=e.code, traceback=traceback.format_exc())
    except Exception as e:
        result.update(ok=False, error="%s: %s" % (type(e).__name__, e), traceback=traceback.format_exc())
    finally:
        if dev is not None:
            fido_dev_close(dev)
            fido_dev_free(byref(c_void_p(dev)))
    emit(result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
