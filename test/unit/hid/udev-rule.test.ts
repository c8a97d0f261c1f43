import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIDO_UDEV_RULE, FIDO_UDEV_RULES_FILE } from '../../../electron/core/hid/permissions.js';

describe('shipped udev rule', () => {
  it('is the rule the permission advice quotes', () => {
    const rules = readFileSync(FIDO_UDEV_RULES_FILE, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rules).toEqual([FIDO_UDEV_RULE]);
  });
});
