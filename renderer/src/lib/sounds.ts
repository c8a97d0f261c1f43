// Short, distinct tones made with WebAudio (no audio files): rising for success, a double blip for
// "touch the key", falling and rough for failure.
import type { Sound } from './station-store.svelte.js';

interface Note {
  frequency: number;
  start: number;
  duration: number;
  wave: OscillatorType;
}

const TUNES: Record<Sound, Note[]> = {
  success: [
    { frequency: 660, start: 0, duration: 0.12, wave: 'sine' },
    { frequency: 880, start: 0.13, duration: 0.18, wave: 'sine' },
  ],
  touch: [
    { frequency: 1200, start: 0, duration: 0.07, wave: 'triangle' },
    { frequency: 1200, start: 0.12, duration: 0.07, wave: 'triangle' },
  ],
  failure: [
    { frequency: 330, start: 0, duration: 0.18, wave: 'square' },
    { frequency: 220, start: 0.2, duration: 0.3, wave: 'square' },
  ],
};

export class SoundPlayer {
  enabled = true;
  #context: AudioContext | undefined;

  /** Browsers start audio only after a user gesture; call this from one so later events can sound. */
  unlock(): void {
    if (!this.enabled) return;
    this.#context ??= new AudioContext();
    if (this.#context.state === 'suspended') void this.#context.resume().catch(() => undefined);
  }

  play(sound: Sound): void {
    const context = this.#context;
    if (!this.enabled || !context || context.state !== 'running') return;
    const at = context.currentTime + 0.01;
    for (const note of TUNES[sound]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = note.wave;
      oscillator.frequency.value = note.frequency;
      gain.gain.setValueAtTime(0.0001, at + note.start);
      gain.gain.exponentialRampToValueAtTime(0.2, at + note.start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + note.start + note.duration);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at + note.start);
      oscillator.stop(at + note.start + note.duration + 0.02);
    }
  }
}
