// The CTAP2 command processor of the virtual key: one request (command byte + CBOR) in, one reply
// (status byte + canonical CBOR) out. Transport-independent; the CTAPHID server and tests call it.
import { encode, type CborMap } from '../ctap/cbor.js';
import { CTAP2_CMD } from '../ctap/constants.js';
import { CtapError } from '../ctap/errors.js';
import type { Random } from '../ctap/pin-protocol.js';
import type { AttestationMaterial } from './attestation.js';
import { authenticatorConfig } from './authenticator-config.js';
import { clientPin } from './client-pin.js';
import type { CommandContext } from './command-context.js';
import { credentialManagement, type Enumeration } from './credential-management.js';
import { sleep, type Clock } from './environment.js';
import { getAssertion, getNextAssertion, type PendingAssertions } from './get-assertion.js';
import { MAX_MSG_SIZE, getInfo } from './get-info.js';
import type { KeyState } from './key-state.js';
import { makeCredential } from './make-credential.js';
import { commandName, type CommandName, type VirtualKeyOptions } from './options.js';
import { Params } from './request.js';
import { STATUS, fail } from './status.js';

export interface AuthenticatorEnvironment {
  readonly clock: Clock;
  readonly random: Random;
  readonly attestation: () => Promise<AttestationMaterial>;
}

export type { CommandContext };

export class Authenticator {
  private pendingAssertions: PendingAssertions | undefined;
  private enumeration: Enumeration | undefined;
  private failCommandFired = false;

  constructor(
    private readonly options: VirtualKeyOptions,
    private readonly state: KeyState,
    private readonly env: AuthenticatorEnvironment,
  ) {}

  /** Forgets multi-step command state (getNextAssertion, enumerations), as a power cycle does. */
  powerUp(): void {
    this.pendingAssertions = undefined;
    this.enumeration = undefined;
  }

  async process(request: Uint8Array, ctx: CommandContext): Promise<Uint8Array> {
    try {
      const reply = await this.run(request, ctx);
      return reply ? Uint8Array.from([STATUS.SUCCESS, ...encode(reply)]) : Uint8Array.of(STATUS.SUCCESS);
    } catch (e) {
      if (e instanceof CtapError) return Uint8Array.of(e.status);
      // An internal fault answers like firmware would, with CTAP1_ERR_OTHER; it must not take the transport down.
      return Uint8Array.of(STATUS.OTHER);
    }
  }

  private async run(request: Uint8Array, ctx: CommandContext): Promise<CborMap | undefined> {
    const command = request[0];
    const name = command === undefined ? undefined : commandName(command);
    const pendingAssertions = this.pendingAssertions;
    const enumeration = this.enumeration;
    this.pendingAssertions = undefined;
    this.enumeration = undefined;
    if (command === undefined || name === undefined) fail(STATUS.INVALID_COMMAND);
    if (request.length > MAX_MSG_SIZE) fail(STATUS.REQUEST_TOO_LARGE);

    if (!(await sleep(this.env.clock, this.options.latencyMs[name] ?? 0, ctx.signal))) fail(STATUS.KEEPALIVE_CANCEL);
    const fault = this.options.faults.failCommand;
    if (fault && fault.command === name && (fault.repeat === 'always' || !this.failCommandFired) && matchesSubCommand(fault.subCommand, name, request)) {
      this.failCommandFired = true;
      fail(fault.status);
    }

    const p = Params.decode(request.subarray(1));
    const state = this.state;
    switch (command) {
      case CTAP2_CMD.GET_INFO:
        return getInfo(this.options, state);
      case CTAP2_CMD.CLIENT_PIN:
        return clientPin(p, state, this.options);
      case CTAP2_CMD.MAKE_CREDENTIAL:
        return makeCredential(p, { options: this.options, state, random: this.env.random, attestation: this.env.attestation }, ctx);
      case CTAP2_CMD.GET_ASSERTION: {
        const result = await getAssertion(p, state, ctx);
        this.pendingAssertions = result.pending;
        return result.reply;
      }
      case CTAP2_CMD.GET_NEXT_ASSERTION: {
        const result = getNextAssertion(state, pendingAssertions);
        this.pendingAssertions = result.pending;
        return result.reply;
      }
      case CTAP2_CMD.CREDENTIAL_MANAGEMENT:
      case CTAP2_CMD.CREDENTIAL_MANAGEMENT_PREVIEW: {
        const result = credentialManagement(p, state, enumeration);
        this.enumeration = result.enumeration;
        return result.reply;
      }
      case CTAP2_CMD.CONFIG:
        authenticatorConfig(p, state, this.options);
        return undefined;
      case CTAP2_CMD.RESET:
        if (this.env.clock.now() - state.powerUpAt > this.options.resetWindowMs) fail(STATUS.NOT_ALLOWED);
        await ctx.requireUserPresence();
        state.factoryReset();
        return undefined;
      case CTAP2_CMD.SELECTION:
        await ctx.requireUserPresence();
        return undefined;
      default:
        fail(STATUS.INVALID_COMMAND);
    }
  }
}

/** The sub-command member of a request: clientPIN keeps it at 0x02, credentialManagement and config at 0x01. */
function matchesSubCommand(wanted: number | undefined, name: CommandName, request: Uint8Array): boolean {
  if (wanted === undefined) return true;
  const key = name === 'clientPIN' ? 0x02 : name === 'credentialManagement' || name === 'config' ? 0x01 : undefined;
  return key !== undefined && Params.decode(request.subarray(1)).raw(key) === wanted;
}
