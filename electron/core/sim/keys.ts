// Where the simulator's own P-384 response keys come from: fresh pairs per enrollment, or — for
// deterministic runs — a JWK file whose private keys are handed out in turn.
import { readFile } from 'node:fs/promises';
import { generateP384KeyPair, parseP384PrivateJwk } from '../wire/jwk.js';
import type { P384PrivateJwk } from '../wire/jwk.js';

export interface KeySource {
  /** A P-384 `enc` key pair for one credential or PIN response; `kid` is used when the pair is fresh. */
  next(kid: string): Promise<P384PrivateJwk>;
}

export function freshKeys(): KeySource {
  return { next: async (kid) => (await generateP384KeyPair('enc', kid)).privateJwk };
}

/** Keys from a file holding `{ "keys": [<P-384 private JWK with use "enc">, …] }` or a bare array. */
export async function loadKeyFile(path: string): Promise<KeySource> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new Error(`Cannot read the simulator key file ${path}: ${(cause as Error).message}. Give a JWK set of P-384 private keys.`);
  }
  const list: unknown = Array.isArray(json) ? json : typeof json === 'object' && json !== null ? Reflect.get(json, 'keys') : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    throw new Error(`The simulator key file ${path} holds no keys; give { "keys": [ …P-384 private JWKs… ] }.`);
  }
  const keys = list.map((k, i) => parseP384PrivateJwk(k, `Key ${i} in ${path}`));
  const notEnc = keys.find((k) => k.use !== 'enc');
  if (notEnc !== undefined) throw new Error(`Key ${notEnc.kid} in ${path} must have use "enc": the simulator decrypts responses with it.`);
  let index = 0;
  return {
    next: async () => {
      const key = keys[index % keys.length];
      index += 1;
      if (key === undefined) throw new Error('The simulator key file is empty.');
      return key;
    },
  };
}
