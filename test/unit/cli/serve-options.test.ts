import { describe, expect, it } from 'vitest';
import { main } from '../../../electron/cli/main.js';
import { EXIT, type Output } from '../../../electron/cli/usage.js';

function capture(): Output & { stderr: string[] } {
  const stderr: string[] = [];
  return { stderr, out: () => undefined, err: (l) => stderr.push(l) };
}

// Each refusal happens before the station starts: no data folder, port or simulator is touched.
describe('keybench serve options', () => {
  it('never takes a token from the command line', async () => {
    const io = capture();
    expect(await main(['serve', '--token', 'ssws-secret-123456'], io)).toBe(EXIT.usage);
    expect(io.stderr.join('\n')).toContain('never taken from the command line');
    expect(io.stderr.join('\n')).not.toContain('ssws-secret-123456');
  });

  it('refuses an org without a token in the environment variable it names', async () => {
    const io = capture();
    expect(await main(['serve', '--org', 'http://127.0.0.1:9', '--token-env', 'KEYBENCH_TEST_UNSET_TOKEN'], io)).toBe(EXIT.usage);
    expect(io.stderr.join('\n')).toContain('$KEYBENCH_TEST_UNSET_TOKEN');
  });

  it('refuses an unknown virtual-key knob', async () => {
    const io = capture();
    expect(await main(['serve', '--virtual-knobs=--wobble 3'], io)).toBe(EXIT.usage);
    expect(io.stderr.join('\n')).toContain('--virtual-knobs');
  });

  it('refuses a probe interval that is not a whole number of milliseconds', async () => {
    const io = capture();
    expect(await main(['serve', '--probe-ms', 'soon'], io)).toBe(EXIT.usage);
    expect(io.stderr.join('\n')).toContain('--probe-ms');
  });

  it('lists the new options in its usage', async () => {
    const out: string[] = [];
    expect(await main(['serve', '--help'], { out: (l) => out.push(l), err: () => undefined })).toBe(EXIT.ok);
    for (const flag of ['--org', '--token-env', '--virtual-knobs', '--probe-ms']) expect(out.join('\n')).toContain(flag);
  });
});
