// The station's attestation gate: the trust store built from the bundled vendor roots, the imported MDS3
// blob and the AAGUID allow-list in settings, plus the virtual keys' CA when (and only when) the org is
// the simulator or a loopback URL. Rebuilt when the blob or the allow-list changes.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkAttestation, type AttestationInput, type AttestationVerdict } from '../trust/attestation-verdict.js';
import { MDS_FILE, loadMdsBlob } from '../trust/mds-store.js';
import { TrustStore, virtualCaForOrg } from '../trust/trust-store.js';
import type { AttestationGate, AttestationPolicy } from './job-ports.js';

export interface TrustSettings {
  readonly policy: AttestationPolicy;
  readonly aaguidAllowList: readonly string[];
}

export class StationTrustGate implements AttestationGate {
  #store: Promise<TrustStore> | undefined;
  #key = '';

  constructor(
    private readonly dataDir: string,
    private readonly orgHostname: string,
    private readonly settings: () => TrustSettings,
    private readonly warn: (message: string) => void = () => {},
    /** The virtual keys' CA when they run in another process; this process's CA otherwise. */
    private readonly virtualRoot?: Uint8Array,
  ) {}

  get policy(): AttestationPolicy {
    return this.settings().policy;
  }

  async check(input: AttestationInput): Promise<AttestationVerdict> {
    return checkAttestation(input, await this.store());
  }

  private async store(): Promise<TrustStore> {
    const mtime = await stat(join(this.dataDir, MDS_FILE)).then((s) => s.mtimeMs, () => 0);
    const key = `${mtime}|${this.settings().aaguidAllowList.join(',')}`;
    if (!this.#store || key !== this.#key) {
      this.#key = key;
      this.#store = this.build();
      // A failed build is not cached: the next key tries again.
      this.#store.catch(() => {
        this.#key = '';
      });
    }
    return this.#store;
  }

  private async build(): Promise<TrustStore> {
    let mds;
    try {
      mds = await loadMdsBlob(this.dataDir);
    } catch (error) {
      // A damaged blob must not stop the bench: the bundled vendor roots still decide, and the technician is told.
      this.warn(`The imported FIDO metadata (MDS3) is unusable and is ignored: ${error instanceof Error ? error.message : String(error)} Import a fresh blob in Settings → Trust.`);
    }
    const virtualCa = await virtualCaForOrg(this.orgHostname, this.virtualRoot);
    return new TrustStore({
      ...(mds ? { mds } : {}),
      aaguidAllowList: this.settings().aaguidAllowList,
      ...(virtualCa ? { virtualCa } : {}),
    });
  }
}
