// Reads which CTAP2 command a CTAPHID report starts, so the bench can count a key's commands (its device
// time) and give setPIN its own latency, which the virtual key's per-command knob cannot tell from the
// other clientPIN subcommands.
import { CLIENT_PIN_SUB, CTAP2_CMD, CTAPHID, HID_REPORT_SIZE } from '../../core/ctap/constants.js';
import { commandName, type CommandName } from '../../core/virtual-key/options.js';

const INIT_BIT = 0x80;
const CMD_OFFSET = 4;
const PAYLOAD_OFFSET = 7;

/** The CTAP2 command a CBOR message starts with, when `report` is the first frame of one. */
export function cborCommandOf(report: Uint8Array): CommandName | undefined {
  if (report.length !== HID_REPORT_SIZE || report[CMD_OFFSET] !== (INIT_BIT | CTAPHID.CBOR)) return undefined;
  const byte = report[PAYLOAD_OFFSET];
  return byte === undefined ? undefined : commandName(byte);
}

/**
 * Whether `report` starts a clientPIN setPIN request. Requests are canonical CBOR maps, so the first
 * frame reads `map, 0x01 protocol, 0x02 subCommand`.
 */
export function startsSetPin(report: Uint8Array): boolean {
  if (cborCommandOf(report) !== 'clientPIN' || report[PAYLOAD_OFFSET] !== CTAP2_CMD.CLIENT_PIN) return false;
  const map = report[PAYLOAD_OFFSET + 1]!;
  const isMap = map >= 0xa0 && map <= 0xb7;
  return isMap && report[PAYLOAD_OFFSET + 2] === 0x01 && report[PAYLOAD_OFFSET + 4] === 0x02 && report[PAYLOAD_OFFSET + 5] === CLIENT_PIN_SUB.SET_PIN;
}
