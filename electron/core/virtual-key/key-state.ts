// Everything a virtual key remembers: credentials and PIN state (kept across power cycles, cleared by
// reset), configuration toggles, the signature counter, and when it last powered up.
import type { Random } from '../ctap/pin-protocol.js';
import { CredentialStore } from './credential-store.js';
import type { VirtualKeyOptions } from './options.js';
import { PinState } from './pin-state.js';

export class KeyState {
  readonly credentials: CredentialStore;
  readonly pin: PinState;
  alwaysUv = false;
  epEnabled = false;
  private signCount = 0;
  powerUpAt: number;

  constructor(options: VirtualKeyOptions, random: Random, now: number) {
    this.credentials = new CredentialStore(options.capacity);
    this.pin = new PinState(options.minPinLength, options.pinProtocols, random);
    this.powerUpAt = now;
  }

  powerUp(now: number): void {
    this.powerUpAt = now;
    this.pin.powerUp();
  }

  /** authenticatorReset: back to factory state (the signature counter keeps counting, as on real keys). */
  factoryReset(): void {
    this.credentials.clear();
    this.pin.factoryReset();
    this.alwaysUv = false;
    this.epEnabled = false;
  }

  nextSignCount(): number {
    this.signCount = (this.signCount + 1) >>> 0;
    return this.signCount;
  }
}
