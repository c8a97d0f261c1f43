// What a CTAP2 command handler may ask of the transport while it runs.

export interface CommandContext {
  /** Aborted when the host sends CTAPHID CANCEL (or the key loses power). */
  readonly signal: AbortSignal;
  /**
   * Waits for a touch while keepalives say UPNEEDED; ends the command with KEEPALIVE_CANCEL on cancel or
   * USER_ACTION_TIMEOUT when nobody touches the key in time.
   */
  requireUserPresence(): Promise<void>;
}
