import { describe, expect, it } from 'vitest';
import { encode, type CborValue } from '../../../electron/core/ctap/cbor.js';
import { PinUvAuthToken } from '../../../electron/core/ctap/client-pin.js';
import { AuthenticatorConfig, configAuthMessage } from '../../../electron/core/ctap/config.js';
import { Ctap2 } from '../../../electron/core/ctap/ctap2.js';
import { CtapError } from '../../../electron/core/ctap/errors.js';
import { PinProtocolV1, PinProtocolV2 } from '../../../electron/core/ctap/pin-protocol.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import { CONFIG_SET_MIN_PIN } from './vectors.js';

const b = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const TOKEN = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function setup(version: 1 | 2 | undefined) {
  const transport = new FakeTransport();
  const token = version === undefined ? undefined : new PinUvAuthToken(version === 1 ? new PinProtocolV1() : new PinProtocolV2(), TOKEN, 0x20);
  return { transport, config: new AuthenticatorConfig(new Ctap2(transport), token) };
}

const wire = (m: Map<number, CborValue>) => hex(encode(m));

describe('authenticatorConfig MAC input', () => {
  it('is 32×0xFF ‖ 0x0D ‖ subCommand ‖ CBOR(subCommandParams)', () => {
    const params = new Map<number, CborValue>([[3, true], [1, 6]]);
    expect(hex(configAuthMessage(0x03, params))).toBe('ff'.repeat(32) + '0d' + '03' + CONFIG_SET_MIN_PIN.params);
    expect(hex(configAuthMessage(0x01))).toBe('ff'.repeat(32) + '0d01');
  });
});

describe('AuthenticatorConfig: derived vectors byte for byte', () => {
  it.each([
    [1, CONFIG_SET_MIN_PIN.v1],
    [2, CONFIG_SET_MIN_PIN.v2],
  ] as const)('setMinPINLength {1: 6, 3: true} under protocol %i sends the vector MAC', async (version, mac) => {
    const { transport, config } = setup(version);
    transport.ok();
    await config.setMinPinLength({ minPinLength: 6, forceChangePin: true });
    expect(transport.requests[0]!.command).toBe(0x0d);
    expect(hex(transport.requests[0]!.data!)).toBe(
      wire(new Map<number, CborValue>([[1, 3], [2, new Map<number, CborValue>([[1, 6], [3, true]])], [3, version], [4, b(mac)]])),
    );
    expect(hex(transport.requests[0]!.data!)).toContain('02' + CONFIG_SET_MIN_PIN.params);
  });
});

describe('AuthenticatorConfig subcommands', () => {
  it('enableEnterpriseAttestation sends subcommand 0x01 without params, MAC over 32×0xFF ‖ 0x0D ‖ 0x01', async () => {
    const { transport, config } = setup(2);
    transport.ok();
    await config.enableEnterpriseAttestation();
    const mac = new PinProtocolV2().authenticate(TOKEN, b('ff'.repeat(32) + '0d01'));
    expect(hex(transport.requests[0]!.data!)).toBe(wire(new Map<number, CborValue>([[1, 1], [3, 2], [4, mac]])));
  });

  it('toggleAlwaysUv sends subcommand 0x02', async () => {
    const { transport, config } = setup(1);
    transport.ok();
    await config.toggleAlwaysUv();
    const mac = new PinProtocolV1().authenticate(TOKEN, b('ff'.repeat(32) + '0d02'));
    expect(hex(transport.requests[0]!.data!)).toBe(wire(new Map<number, CborValue>([[1, 2], [3, 1], [4, mac]])));
  });

  it('setMinPINLength sends the RP ID list as member 2 and MACs it', async () => {
    const { transport, config } = setup(2);
    transport.ok();
    await config.setMinPinLength({ minPinLength: 8, rpIds: ['example.okta.com'] });
    const params = new Map<number, CborValue>([[1, 8], [2, ['example.okta.com']]]);
    const mac = new PinProtocolV2().authenticate(TOKEN, configAuthMessage(3, params));
    expect(hex(transport.requests[0]!.data!)).toBe(wire(new Map<number, CborValue>([[1, 3], [2, params], [3, 2], [4, mac]])));
  });

  it('sends no pinUvAuthParam when the key has no PIN yet', async () => {
    const { transport, config } = setup(undefined);
    transport.ok();
    await config.setMinPinLength({ minPinLength: 6 });
    expect(hex(transport.requests[0]!.data!)).toBe(wire(new Map<number, CborValue>([[1, 3], [2, new Map([[1, 6]])]])));
  });

  it.each([{}, { minPinLength: 3 }, { minPinLength: 64 }, { minPinLength: 6.5 }])('refuses setMinPinLength(%o) before sending', async (params) => {
    const { transport, config } = setup(2);
    await expect(config.setMinPinLength(params)).rejects.toThrow(RangeError);
    expect(transport.requests).toHaveLength(0);
  });

  it.each([
    [0x33, 'CTAP2_ERR_PIN_AUTH_INVALID'],
    [0x40, 'CTAP2_ERR_UNAUTHORIZED_PERMISSION'],
    [0x37, 'CTAP2_ERR_PIN_POLICY_VIOLATION'],
    [0x3e, 'CTAP2_ERR_INVALID_SUBCOMMAND'],
  ])('passes status 0x%s on as a CtapError named %s', async (status, name) => {
    const { transport, config } = setup(2);
    transport.status(status);
    const error = await config.setMinPinLength({ minPinLength: 6 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapError);
    expect(error).toMatchObject({ statusName: name });
    expect((error as Error).message).toMatch(/^authenticatorConfig: /);
  });
});
