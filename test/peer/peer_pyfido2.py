"""python-fido2 0.9.1 as an independent CTAP2 client of keybench's virtual key.

Usage: /usr/bin/python3 -u peer_pyfido2.py <scenario> [params-json]

The key sits at the other end of this process's stdin and stdout: every 64-byte record written to stdout
is one HID report sent to the key, every 64-byte record read from stdin is one report from it (the test
harness bridges them to the key with serveStdio). The outcome is one JSON object on fd 3 (stderr when
fd 3 is not open); stderr carries diagnostics. Nothing else may reach stdout, so print() goes to stderr.

Only python-fido2 0.9.1 APIs are used (Debian's python3-fido2): AttestationObject.att_statement, no
enterprise_attestation argument, Config without enable_enterprise_attestation.
"""

import hashlib
import os
import select
import sys
import time
import traceback

import fido2
from fido2.attestation import Attestation, InvalidSignature
from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Config, Ctap2, PinProtocolV1, PinProtocolV2
from fido2.ctap2.extensions import CredProtectExtension
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

from peer_common import emit, scenario_from_argv

REPORT_SIZE = 64
STDIN_FD = 0
STDOUT_FD = 1
# A reply slower than this means the key (or the bridge) is stuck; the harness has its own limit too.
# params "readTimeoutS" raises it for keys behind a slow-starting process (the keybench CLI).
DEFAULT_READ_TIMEOUT_S = 8.0

PERMISSION = ClientPin.PERMISSION
PROTOCOLS = {1: PinProtocolV1, 2: PinProtocolV2}
CRED_PROTECT_POLICIES = list(CredProtectExtension.POLICY)


class StdioConnection(CtapHidConnection):
    """CTAPHID reports as fixed 64-byte records on stdin/stdout; no report id at this layer."""

    def __init__(self, read_timeout_s):
        self.read_timeout_s = read_timeout_s

    def read_packet(self):
        record = b""
        deadline = time.monotonic() + self.read_timeout_s
        while len(record) < REPORT_SIZE:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no report from the key within %.0f s" % self.read_timeout_s)
            readable, _, _ = select.select([STDIN_FD], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(STDIN_FD, REPORT_SIZE - len(record))
            if not chunk:
                raise EOFError("the key's report stream ended")
            record += chunk
        return record

    def write_packet(self, data):
        if len(data) != REPORT_SIZE:
            raise ValueError("a CTAPHID report is %d bytes, got %d" % (REPORT_SIZE, len(data)))
        view = memoryview(data)
        while view:
            view = view[os.write(STDOUT_FD, view):]

    def close(self):
        pass


def open_ctap2(params):
    """CTAPHID INIT, then getInfo through Ctap2 with strict_cbor on (every reply must be canonical CBOR)."""
    connection = StdioConnection(params.get("readTimeoutS", DEFAULT_READ_TIMEOUT_S))
    device = CtapHidDevice(HidDescriptor("keybench-virtual", 0x1209, 0x0001, REPORT_SIZE, REPORT_SIZE), connection)
    return device, Ctap2(device, strict_cbor=True)


def info_dict(info):
    return {
        "versions": info.versions,
        "extensions": info.extensions,
        "aaguid": info.aaguid.hex(),
        "options": info.options,
        "maxMsgSize": info.max_msg_size,
        "pinUvAuthProtocols": info.pin_uv_protocols,
        "forcePinChange": info.force_pin_change,
        "minPinLength": info.min_pin_length,
        "firmwareVersion": info.firmware_version,
        "remainingDiscoverableCredentials": info.remaining_disc_creds,
    }


def ctap_error_of(call):
    """Runs call, which must fail with a CTAP status; returns that status as an int."""
    try:
        call()
    except CtapError as e:
        return int(e.code)
    raise AssertionError("expected a CTAP error, but the call succeeded")


def client_pin(ctap, params):
    """ClientPin with the protocol in params, or python-fido2's own choice (2 when the key lists it)."""
    protocol = params.get("protocol")
    return ClientPin(ctap, PROTOCOLS[protocol]() if protocol else None)


def retries(pin):
    count, power_cycle_state = pin.get_pin_retries()
    return {"retries": count, "powerCycleState": power_cycle_state}


def scenario_get_info(params):
    device, ctap = open_ctap2(params)
    return {
        "ctaphidVersion": device.version,
        "deviceVersion": list(device.device_version),
        "capabilities": device.capabilities,
        "info": info_dict(ctap.info),
    }


def scenario_pin(params):
    """setPIN then changePIN under the protocol in params, with getPINRetries before, between and after."""
    _, ctap = open_ctap2(params)
    pin = client_pin(ctap, params)
    steps = {"protocol": pin.protocol.VERSION, "retriesBeforeSet": retries(pin)}
    pin.set_pin(params["pin"])
    steps["retriesAfterSet"] = retries(pin)
    pin.change_pin(params["pin"], params["newPin"])
    steps["retriesAfterChange"] = retries(pin)
    steps["oldPinError"] = ctap_error_of(lambda: pin.get_pin_token(params["pin"], PERMISSION.MAKE_CREDENTIAL))
    steps["newPinTokenLength"] = len(pin.get_pin_token(params["newPin"], PERMISSION.MAKE_CREDENTIAL))
    steps["retriesAtEnd"] = retries(pin)
    steps["clientPinOption"] = ctap.get_info().options.get("clientPin")
    return steps


def scenario_token_permissions(params):
    """A token with mc|acfg (subcommand 0x09) works for config; one with ga only is refused."""
    _, ctap = open_ctap2(params)
    pin = client_pin(ctap, params)
    pin.set_pin(params["pin"])
    token = pin.get_pin_token(params["pin"], PERMISSION.MAKE_CREDENTIAL | PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, pin.protocol, token).set_min_pin_length(rp_ids=params["rpIds"])
    narrow = pin.get_pin_token(params["pin"], PERMISSION.GET_ASSERTION)
    refused = ctap_error_of(lambda: Config(ctap, pin.protocol, narrow).set_min_pin_length(rp_ids=["other.example"]))
    return {"protocol": pin.protocol.VERSION, "tokenLength": len(token), "narrowTokenConfigError": refused}


def scenario_min_pin_force(params):
    """setMinPINLength with forceChangePin; getPinToken fails with PIN_INVALID until changePIN."""
    _, ctap = open_ctap2(params)
    pin = client_pin(ctap, params)
    pin.set_pin(params["pin"])
    token = pin.get_pin_token(params["pin"], PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, pin.protocol, token).set_min_pin_length(min_pin_length=params["minPinLength"], force_change_pin=True)
    forced = ctap.get_info()
    steps = {
        "infoAfterConfig": {"forcePinChange": forced.force_pin_change, "minPinLength": forced.min_pin_length},
        "tokenErrorWhileForced": ctap_error_of(lambda: pin.get_pin_token(params["pin"], PERMISSION.MAKE_CREDENTIAL)),
    }
    pin.change_pin(params["pin"], params["newPin"])
    changed = ctap.get_info()
    steps["infoAfterChange"] = {"forcePinChange": changed.force_pin_change, "minPinLength": changed.min_pin_length}
    steps["newPinTokenLength"] = len(pin.get_pin_token(params["newPin"], PERMISSION.MAKE_CREDENTIAL))
    steps["retriesAtEnd"] = retries(pin)
    return steps


def scenario_make_credential(params):
    """makeCredential with credProtect and a pinUvAuthParam, then python-fido2's attestation check."""
    _, ctap = open_ctap2(params)
    pin = client_pin(ctap, params)
    pin.set_pin(params["pin"])
    token = pin.get_pin_token(params["pin"], PERMISSION.MAKE_CREDENTIAL, params["rpId"])
    policy = CRED_PROTECT_POLICIES[params["credProtect"] - 1]
    cred_protect = CredProtectExtension(ctap).process_create_input({"credentialProtectionPolicy": policy})
    client_data_hash = hashlib.sha256(params["clientData"].encode()).digest()
    attestation = ctap.make_credential(
        client_data_hash,
        {"id": params["rpId"], "name": params["rpName"]},
        {"id": bytes.fromhex(params["userIdHex"]), "name": params["userName"], "displayName": params["userDisplayName"]},
        [{"type": "public-key", "alg": -7}],
        extensions={"credProtect": cred_protect},
        options={"rk": True},
        pin_uv_param=pin.protocol.authenticate(token, client_data_hash),
        pin_uv_protocol=pin.protocol.VERSION,
    )
    verifier = Attestation.for_type(attestation.fmt)()
    result = verifier.verify(attestation.att_statement, attestation.auth_data, client_data_hash)
    try:
        verifier.verify(attestation.att_statement, attestation.auth_data, hashlib.sha256(b"another client").digest())
        tampered_rejected = False
    except InvalidSignature:
        tampered_rejected = True
    auth_data = attestation.auth_data
    return {
        "fmt": attestation.fmt,
        "attestationType": result.attestation_type.name,
        "trustPathLength": len(result.trust_path),
        "tamperedRejected": tampered_rejected,
        "flags": auth_data.flags,
        "rpIdHash": auth_data.rp_id_hash.hex(),
        "aaguid": auth_data.credential_data.aaguid.hex(),
        "credentialIdLength": len(auth_data.credential_data.credential_id),
        "extensions": auth_data.extensions,
        "attestationObject": bytes(attestation).hex(),
    }


def scenario_wrong_pin(params):
    """Three wrong PINs in a row: PIN_INVALID, PIN_INVALID, PIN_AUTH_BLOCKED; the right one stays blocked."""
    _, ctap = open_ctap2(params)
    pin = client_pin(ctap, params)
    pin.set_pin(params["pin"])
    wrong = [ctap_error_of(lambda: pin.get_pin_token(params["wrongPin"], PERMISSION.MAKE_CREDENTIAL)) for _ in range(3)]
    right = ctap_error_of(lambda: pin.get_pin_token(params["pin"], PERMISSION.MAKE_CREDENTIAL))
    return {"wrongPinErrors": wrong, "rightPinWhileBlocked": right, "retriesAtEnd": retries(pin)}


SCENARIOS = {
    "get-info": scenario_get_info,
    "pin": scenario_pin,
    "token-permissions": scenario_token_permissions,
    "min-pin-force": scenario_min_pin_force,
    "make-credential": scenario_make_credential,
    "wrong-pin": scenario_wrong_pin,
}


def main(argv):
    parsed = scenario_from_argv(argv, "peer_pyfido2.py", SCENARIOS)
    if parsed is None:
        return 2
    scenario, params = parsed
    result = {"peer": "python-fido2", "version": fido2.__version__, "scenario": scenario}
    try:
        result.update(ok=True, **SCENARIOS[scenario](params))
    except CtapError as e:
        result.update(ok=False, error="CtapError: %s" % e, ctapError=int(e.code), traceback=traceback.format_exc())
    except Exception as e:
        result.update(ok=False, error="%s: %s" % (type(e).__name__, e), traceback=traceback.format_exc())
    emit(result)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
