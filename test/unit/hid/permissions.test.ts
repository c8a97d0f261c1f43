import { describe, expect, it } from 'vitest';
import { classifyOpenFailure, FIDO_UDEV_RULE } from '../../../electron/core/hid/permissions.js';

describe('classifyOpenFailure', () => {
  it('explains Linux permission denied with the udev rule, the reload command and the shipped file', () => {
    const failure = classifyOpenFailure('linux', "cannot open device with path /dev/hidraw3: Failed to open a device with path '/dev/hidraw3': Permission denied");
    expect(failure.kind).toBe('permission');
    expect(failure.advice).toContain(FIDO_UDEV_RULE);
    expect(failure.advice).toContain('udevadm control --reload && sudo udevadm trigger');
    expect(failure.advice).toContain('build/udev/70-keybench-fido.rules');
    expect(failure.advice).toMatch(/uaccess/);
  });

  it('ships exactly the rule from the design notes', () => {
    expect(FIDO_UDEV_RULE).toBe('KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ENV{ID_FIDO_TOKEN}=="1", TAG+="uaccess", GROUP="plugdev", MODE="0660"');
  });

  it('tells Windows users to run as Administrator on access denied', () => {
    const failure = classifyOpenFailure('win32', 'cannot open device with path \\\\?\\hid#vid_1050: open_device: (0x00000005) Access is denied.');
    expect(failure.kind).toBe('permission');
    expect(failure.advice).toContain('FIDO keys need keybench to run as Administrator on Windows 10 1903 and later');
  });

  it('tells macOS users another app holds the key on exclusive-access failures', () => {
    const failure = classifyOpenFailure('darwin', 'hid_open_path: failed to open IOHIDDevice from mach entry: (0xE00002C5) (iokit/common) exclusive access and device already open');
    expect(failure.kind).toBe('held-by-other-app');
    expect(failure.advice).toContain('Another app (a browser?) holds the key; close it');
  });

  it('recognises a key unplugged between listing and opening on every OS', () => {
    expect(classifyOpenFailure('linux', "Failed to open a device with path '/dev/hidraw3': No such file or directory").kind).toBe('gone');
    expect(classifyOpenFailure('win32', 'open_device: (0x00000002) The system cannot find the file specified.').kind).toBe('gone');
    expect(classifyOpenFailure('darwin', 'hid_open_path: device mach entry not found with the given path').kind).toBe('gone');
  });

  it('does not give OS-specific advice for another OS or an unknown failure', () => {
    expect(classifyOpenFailure('darwin', 'Permission denied').kind).toBe('other');
    expect(classifyOpenFailure('linux', 'Access is denied.').kind).toBe('other');
    const other = classifyOpenFailure('linux', 'hid_open_path: something odd');
    expect(other.kind).toBe('other');
    expect(other.advice).toMatch(/plug it back in/);
  });
});
