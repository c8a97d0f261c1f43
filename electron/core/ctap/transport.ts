// What the CTAP2 layer needs from the layer below: send one CTAP2 command, get its reply. CTAPHID over a
// HidDevice implements it; tests may implement it over anything that speaks CTAP2.

export type KeepaliveStatus = 'processing' | 'upneeded';

export interface CallOptions {
  /** Deadline for the reply; keepalives from the key re-arm it. */
  readonly timeoutMs?: number;
  /** Aborting sends CTAPHID CANCEL; the call then rejects with CancelledError. */
  readonly signal?: AbortSignal;
  /** Called once per change of keepalive status; 'upneeded' means "touch the key now". */
  readonly onKeepalive?: (status: KeepaliveStatus) => void;
}

export interface CtapTransport {
  /** Sends CTAP2 command byte + CBOR parameters; resolves with the reply: status byte followed by CBOR. */
  sendCbor(command: number, data: Uint8Array | undefined, options?: CallOptions): Promise<Uint8Array>;
  /** Blinks the key's light, when the key can. */
  wink(): Promise<void>;
  /** Whether the key declared WINK in its CTAPHID capabilities. */
  readonly canWink: boolean;
  close(): Promise<void>;
}
