// What an OTRv4 conversation (session.ts), its DAKE steps (session-dake.ts) and its data path
// (session-data.ts) share: the options it was made with, our instance tag, the table of the
// contact's instances (§"Instance Tags"), the Identity message we sent to any instance, the
// messages waiting for a private conversation, and the encoding of what goes out
// (§"Fragmentation").
import type { OtrPolicy } from '../api';
import { encodeOtrMessage } from '../common/envelope';
import type { Clock, RandomSource } from '../common/random';
import type { Tlv } from '../common/tlv';
import type { DakeContext, DakeIdentity, PrekeyOwnerMaterial, WaitingAuthR } from './dake';
import type { Dh3072Engine } from './dh3072';
import { fragmentV4 } from './fragment';
import type { RatchetOptions } from './ratchet';
import { Instance, type SmpEngine } from './session-instance';

export type SmpFactory = (p: {
  random: RandomSource;
  ourFingerprint: Uint8Array;
  theirFingerprint: Uint8Array;
  ssid: Uint8Array;
  initiator?: boolean;
}) => SmpEngine;

export interface V4ConversationOptions {
  identity: DakeIdentity;
  random: RandomSource;
  clock: Clock;
  dh: Dh3072Engine;
  /** our and the contact's network identities (bare JIDs), part of phi (§"Shared Session State") */
  ourId: string;
  theirId: string;
  policy?: OtrPolicy;
  /** receive offline (non-interactive) DAKEs: our prekey secrets and profiles; `consume` deletes a used prekey */
  prekeyOwner?: PrekeyOwnerMaterial & { consume(id: number): void };
  /** fragment encoded messages longer than this (characters); undefined = never */
  maxMessageSize?: number;
  ratchet?: Partial<Pick<RatchetOptions, 'maxSkip' | 'maxStoredKeys' | 'skippedKeyMaxAgeMs' | 'skippedKeyMaxRatchets' | 'sessionExpiryMs'>>;
  /** SMP engine factory; default: the SMP of smp/ */
  smp?: SmpFactory;
  /** §"OTRv4 Modes": interactive-only refuses Non-Interactive-Auth messages */
  mode?: 'otrv3-compatible' | 'otrv4-standalone' | 'otrv4-interactive-only';
  /**
   * §"Receiving a Data Message": after receiving, send an empty heartbeat (IGNORE_UNREADABLE) if
   * nothing was sent to that instance for this long; default 60 s (libotr's); 0 disables
   */
  heartbeatIntervalMs?: number;
  /** how long data messages arriving before Auth-I are kept (§"Receiving a Data Message": 10–60 min) */
  earlyDataTtlMs?: number;
  /** tick() gives up a DAKE that began longer ago than this (a `dake-failed` error); default: never */
  dakeTimeoutMs?: number;
  queryExplanation?: string;
}

/** the state shared by the parts of one conversation; each part reads and changes it directly */
export class SessionCore {
  readonly ourTag: number;
  /** Identity we sent to receiver tag 0 (after a query / whitespace tag / start()) */
  /** `order`: when it last went out among our DAKE steps (it is sent again, byte for byte, while outstanding: D32) */
  pending: { dake: WaitingAuthR; wire: Uint8Array; usedBy: Set<number>; startedAt: number; order: number } | undefined;
  /** orders our DAKE steps (sending an Identity, answering one); the clock may not advance between them */
  dakeSteps = 0;
  queued: Array<{ text: string; tlvs: Tlv[] }> = [];
  activityCounter = 0;

  /** `instances`: the conversation's table, one Instance per instance tag of the contact */
  constructor(
    readonly opts: V4ConversationOptions,
    readonly policy: OtrPolicy,
    readonly instances: Map<number, Instance>,
  ) {
    this.ourTag = opts.identity.instanceTag;
  }

  get ctx(): DakeContext {
    return { random: this.opts.random, clock: this.opts.clock, dh: this.opts.dh, ourId: this.opts.ourId, theirId: this.opts.theirId };
  }

  instance(tag: number): Instance {
    let s = this.instances.get(tag);
    if (!s) {
      s = new Instance(tag);
      this.instances.set(tag, s);
    }
    return s;
  }

  wire(bytes: Uint8Array, receiverTag: number): string[] {
    const msg = encodeOtrMessage(bytes);
    const max = this.opts.maxMessageSize;
    return max ? fragmentV4(msg, max, this.ourTag, receiverTag, this.opts.random) : [msg];
  }
}
