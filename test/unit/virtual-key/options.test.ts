import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, VirtualKeyFlagError, VirtualKeyOptionsError, parseVirtualKeyFlags, virtualKeyOptions } from '../../../electron/core/virtual-key/options.js';

describe('parseVirtualKeyFlags', () => {
  it('reads every knob, in both --flag value and --flag=value forms, and leaves other arguments', () => {
    const result = parseVirtualKeyFlags([
      '--stdio',
      '--pin-protocols', '1',
      '--no-ep',
      '--no-cred-protect',
      '--touch=manual:5000',
      '--latency', '0',
      '--latency', 'makeCredential:300',
      '--fail', 'makeCredential:0x28:always',
      '--serial', 'ABC123',
      '--firmware', '5.7.1',
      '--aaguid', 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
      '--min-pin-length', '6',
      '--pin-retries-before-set', 'pin-not-set',
      '--unplug-during', 'clientPIN',
      '--garble', '0.25',
      '--seed', '42',
      'extra',
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rest).toEqual(['--stdio', 'extra']);
    const o = virtualKeyOptions(result.overrides);
    expect(o.pinProtocols).toEqual([1]);
    expect(o.enterpriseAttestation).toBe(false);
    expect(o.credProtect).toBe(false);
    expect(o.userPresence).toEqual({ mode: 'manual', timeoutMs: 5000 });
    expect(o.latencyMs.makeCredential).toBe(300);
    expect(o.latencyMs.getInfo).toBe(0);
    expect(o.faults).toEqual({ failCommand: { command: 'makeCredential', status: 0x28, repeat: 'always' }, unplugDuring: 'clientPIN', garble: 0.25 });
    expect(o.serial).toBe('ABC123');
    expect(o.firmwareVersion).toBe('5.7.1');
    expect(Buffer.from(o.aaguid).toString('hex')).toBe('cb69481e8ff7403993ec0a2729a154a8');
    expect(o.minPinLength).toBe(6);
    expect(o.pinRetriesBeforeSet).toBe('pin-not-set');
    expect(o.seed).toBe(42);
  });

  it.each([
    [['--pin-protocols', '3'], '--pin-protocols'],
    [['--pin-protocols', '2,2'], '--pin-protocols'],
    [['--touch', 'sometimes'], '--touch'],
    [['--fail', 'makeCredential'], '--fail'],
    [['--fail', 'dance:0x28'], '--fail'],
    [['--latency', 'fast'], '--latency'],
    [['--garble', '1.5'], '--garble'],
    [['--firmware', '5.4'], '--firmware'],
    [['--aaguid', 'xyz'], '--aaguid'],
    [['--min-pin-length', '3'], '--min-pin-length'],
    [['--serial'], '--serial'],
    [['--no-ep=1'], '--no-ep'],
  ])('rejects %j with a typed error naming the flag', (argv, flag) => {
    const result = parseVirtualKeyFlags(argv);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(VirtualKeyFlagError);
    expect(result.error.flag).toBe(flag);
  });
});

describe('virtualKeyOptions', () => {
  it('defaults to a CTAP 2.1 key with both PIN protocols, EP support and 25 slots', () => {
    expect(virtualKeyOptions()).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS).toMatchObject({ pinProtocols: [2, 1], enterpriseAttestation: true, capacity: 25, minPinLength: 4, pinRetriesBeforeSet: 'retries' });
  });

  it('rejects knobs a key cannot run with', () => {
    expect(() => virtualKeyOptions({ pinProtocols: [] })).toThrow(VirtualKeyOptionsError);
    expect(() => virtualKeyOptions({ aaguid: new Uint8Array(4) })).toThrow(VirtualKeyOptionsError);
    expect(() => virtualKeyOptions({ faults: { failCommand: { command: 'reset', status: 0, repeat: 'once' } } })).toThrow(VirtualKeyOptionsError);
  });
});
