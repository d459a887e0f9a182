// The interactive DAKE of an OTRv4 conversation as seen from its state machine (otrv4.md
// §"Interactive DAKE Overview", §"The Protocol State Machine", §"Protocol Events"): sending our
// Identity message (to one instance, or the "pending" one to receiver tag 0 after a query or a
// whitespace tag), receiving Identity, Auth-R, Auth-I and Non-Interactive-Auth messages for an
// Instance (session-instance.ts), and giving a DAKE up. A completed DAKE enters
// ENCRYPTED_MESSAGES through the data path (session-data.ts). Decisions: docs/otrv4-decisions.md
// (D17, D18, D20, D30, D32).
import type { EngineOutput } from '../api';
import { equalBytes } from '../common/bytes';
import { formatErrorMessage, OtrErrorMessageCode } from '../common/error-message';
import { OtrError } from '../common/errors';
import {
  createIdentity,
  createNonInteractiveAuth,
  receiveAuthI,
  receiveNonInteractiveAuth,
  resolveSimultaneousIdentity,
  respondToAuthR,
  respondToIdentity,
  validateIdentity,
} from './dake';
import { encodeDakeMessage, type DakeMessage } from './dake-messages';
import type { PrekeyEnsemble } from './prekey-message';
import type { SessionCore } from './session-core';
import { enterEncrypted, receiveData } from './session-data';
import { type Answered, endPhase, type Instance } from './session-instance';

/**
 * An Identity message of ours outstanding this long when the contact's own Identity arrives is
 * taken as lost and resent (§"Receiving an Identity Message", WAITING_AUTH_R; D18). Crossing
 * Identity messages arrive within a round trip, far below this.
 */
export const IDENTITY_RESEND_AFTER_MS = 5_000;

/** a DAKE under way (dakeStatus()): instance tag 0 is our Identity message to any instance */
export interface DakeStatus {
  instanceTag: number;
  state: 'waiting-auth-r' | 'waiting-auth-i';
  /** clock time (ms) the DAKE began, for progress and for giving up */
  startedAt: number;
  /** true while an encrypted session continues until the new DAKE completes (D30) */
  rekey?: true;
}

/** sends our Identity message to `receiverTag` (0: any instance, the pending Identity) */
export function sendIdentity(c: SessionCore, receiverTag: number, { fresh = false } = {}): string[] {
  const now = c.opts.clock();
  // While our Identity to any instance is outstanding and no instance has answered it, a query
  // (or a whitespace tag) gets the same message again, not one with fresh ephemeral keys: every copy then
  // names one DAKE, so the contact compares the same pair of Identity messages as we do
  // (§"Receiving an Identity Message", WAITING_AUTH_R) and exactly one side answers. A burst of
  // queries (one per OTR error message after the contact restarted) had each side answer a
  // different Identity of the other's, and both waited for an Auth-I forever (D32).
  if (!fresh && receiverTag === 0 && c.pending && c.pending.usedBy.size === 0) {
    c.pending.order = ++c.dakeSteps;
    return c.wire(c.pending.wire, 0);
  }
  const { message, state } = createIdentity(c.ctx, c.opts.identity, receiverTag);
  const bytes = encodeDakeMessage(message);
  const startedAt = now;
  if (receiverTag === 0) c.pending = { dake: state, wire: bytes, usedBy: new Set(), startedAt, order: ++c.dakeSteps };
  else c.instance(receiverTag).phase = { name: 'waiting-auth-r', dake: state, identityWire: bytes, startedAt };
  return c.wire(bytes, receiverTag);
}

/** the DAKEs under way (V4Conversation.dakeStatus()) */
export function dakesUnderWay(c: SessionCore): DakeStatus[] {
  const out: DakeStatus[] = [];
  if (c.pending) out.push({ instanceTag: 0, state: 'waiting-auth-r', startedAt: c.pending.startedAt });
  for (const s of c.instances.values()) {
    if (s.phase.name === 'waiting-auth-r' || s.phase.name === 'waiting-auth-i')
      out.push({ instanceTag: s.theirTag, state: s.phase.name, startedAt: s.phase.startedAt });
    else if (s.rekey) out.push({ instanceTag: s.theirTag, state: 'waiting-auth-i', startedAt: s.rekey.startedAt, rekey: true });
  }
  return out;
}

/** gives up the DAKE with one instance (0: the pending Identity) with a `dake-failed` error */
export function giveUp(c: SessionCore, instanceTag: number, out: EngineOutput, why: string): void {
  if (instanceTag === 0) {
    if (!c.pending) return;
    c.pending = undefined;
  } else {
    const s = c.instances.get(instanceTag);
    if (!s) return;
    if (s.phase.name === 'waiting-auth-r' || s.phase.name === 'waiting-auth-i') {
      // data messages kept for this DAKE mean the peer believes the conversation is private:
      // tell it that it is not (§"OTR Error Messages" ERROR_2), so neither side stays half-open
      if (s.early.length > 0) out.toSend.push(formatErrorMessage(`${OtrErrorMessageCode.notInPrivateState}: Not in private state message`));
      endPhase(s);
    } else if (s.rekey) s.rekey = undefined;
    else return;
  }
  out.events.push({ type: 'error', code: 'dake-failed', message: `the private conversation was not set up: ${why}` });
}

/**
 * §"Sending a Data Message to an offline participant": our Non-Interactive-Auth message for a
 * prekey ensemble of the contact; the instance it names is then in ENCRYPTED_MESSAGES
 */
export function sendNonInteractiveAuth(c: SessionCore, ensemble: PrekeyEnsemble, out: EngineOutput): Instance {
  const { message, result } = createNonInteractiveAuth(c.ctx, c.opts.identity, ensemble);
  const s = c.instance(result.theirInstanceTag);
  endPhase(s);
  out.toSend.push(...c.wire(encodeDakeMessage(message), s.theirTag));
  enterEncrypted(c, s, result, out, false);
  return s;
}

/** a DAKE message from instance `m.senderTag` of the contact, for us */
export function receiveDake(c: SessionCore, m: DakeMessage, raw: Uint8Array, out: EngineOutput): void {
  const s = c.instance(m.senderTag);
  switch (m.type) {
    case 'identity': {
      if (!c.policy.allowV4) return;
      // a byte-identical retransmission of the Identity message we answered: the same Auth-R
      // again, never one with fresh ephemeral keys (the peer may complete with either copy);
      // once that DAKE is done, the copy is ignored (docs/otrv4-decisions.md D20)
      const answered = s.phase.name === 'waiting-auth-i' ? s.phase : s.rekey;
      if (answered && equalBytes(answered.identityWire, raw)) {
        out.toSend.push(...c.wire(answered.authRWire, m.senderTag));
        return;
      }
      if (s.phase.name === 'encrypted' && s.phase.answered && equalBytes(s.phase.answered, raw)) return;
      const ours =
        s.phase.name === 'waiting-auth-r'
          ? { dake: s.phase.dake, wire: s.phase.identityWire, startedAt: s.phase.startedAt }
          : s.phase.name === 'start'
            ? c.pending
            : undefined;
      if (ours) {
        // §"Receiving an Identity Message", WAITING_AUTH_R: the higher hashed B wins
        if (resolveSimultaneousIdentity(ours.dake, m) === 'keep-ours') {
          validateIdentity(c.ctx, c.opts.identity, m);
          // The spec says "resend your Identity message". When the two merely crossed, the
          // peer (lower hash) answers the copy it already has, and a peer that answers every
          // copy with a fresh Auth-R would start a second DAKE; so ours is resent only when it
          // has been outstanding longer than a crossing takes: then it was most likely lost
          // (the contact restarted), and without it both sides would wait for an Auth-R that
          // never comes (docs/otrv4-decisions.md D18).
          if (c.opts.clock() - ours.startedAt >= IDENTITY_RESEND_AFTER_MS) out.toSend.push(...c.wire(ours.wire, m.senderTag));
          return;
        }
      }
      const { message, state } = respondToIdentity(c.ctx, c.opts.identity, m);
      const wireBytes = encodeDakeMessage(message);
      const now = c.opts.clock();
      const a: Answered = {
        dake: state,
        identityWire: Uint8Array.from(raw),
        authRWire: wireBytes,
        startedAt: ours?.startedAt ?? now,
        order: ++c.dakeSteps,
      };
      if (s.phase.name === 'encrypted') {
        // ENCRYPTED_MESSAGES: answer, but keep the running session until Auth-I proves the
        // new DAKE; a replayed Identity message cannot tear it down (the otr4j maintainer's
        // FIXME on §"The Protocol State Machine"; docs/otrv4-decisions.md D30)
        s.rekey = a;
      } else {
        endPhase(s);
        s.phase = { name: 'waiting-auth-i', ...a };
      }
      out.toSend.push(...c.wire(wireBytes, m.senderTag));
      return;
    }
    case 'auth-r': {
      // §"Receiving an Auth-R Message": only while our Identity message is outstanding
      const usable = c.pending && !c.pending.usedBy.has(m.senderTag) ? c.pending : undefined;
      // Waiting for the Auth-I of a DAKE the contact started, we take an Auth-R only for an
      // Identity of ours sent after we answered theirs: sending it moved us to WAITING_AUTH_R
      // (§"Sending an Identity Message"), and a contact whose messenger restarted lost the
      // DAKE it started and answers ours instead (D32). By causality at most one of the two
      // sides can be in this position for the same pair of DAKEs.
      if (s.phase.name === 'waiting-auth-i' && !(usable && usable.order > s.phase.order)) return;
      // the pending Identity (to tag 0) completes at most one DAKE per instance of the contact
      const fromPending = s.phase.name !== 'waiting-auth-r';
      const dake = s.phase.name === 'waiting-auth-r' ? s.phase.dake : usable?.dake;
      if (!dake) return;
      const { message, result } = respondToAuthR(c.ctx, c.opts.identity, dake, m);
      if (fromPending) c.pending?.usedBy.add(m.senderTag);
      endPhase(s);
      out.toSend.push(...c.wire(encodeDakeMessage(message), m.senderTag));
      enterEncrypted(c, s, result, out, false);
      return;
    }
    case 'auth-i': {
      const a = s.phase.name === 'waiting-auth-i' ? s.phase : s.phase.name === 'encrypted' ? s.rekey : undefined;
      if (!a) return;
      // §"Receiving an Auth-I Message": one that does not verify is ignored (an error event, the
      // state unchanged): it may answer an Auth-R we replaced, and the Auth-I for the current
      // one may still come. If none comes, the DAKE is given up (abandonDake, dakeTimeoutMs).
      const result = receiveAuthI(c.ctx, c.opts.identity, a.dake, m);
      if (s.phase.name === 'encrypted') s.phase.ratchet.destroy();
      s.rekey = undefined;
      enterEncrypted(c, s, result, out, true, a.identityWire);
      // data messages that overtook Auth-I
      const early = s.early.filter((e) => c.opts.clock() - e.at <= (c.opts.earlyDataTtlMs ?? 10 * 60_000));
      s.early = [];
      for (const e of early) receiveData(c, e.bytes, out, true);
      return;
    }
    case 'non-interactive-auth': {
      // §"Receiving a Non-Interactive-Auth Message"
      if (s.phase.name === 'finished' || !c.policy.allowV4 || c.opts.mode === 'otrv4-interactive-only') return;
      const owner = c.opts.prekeyOwner;
      if (!owner) throw new OtrError('not-allowed', 'no prekey material to receive offline messages');
      const { result, prekeyId } = receiveNonInteractiveAuth(c.ctx, c.opts.identity, owner, m);
      owner.consume(prekeyId);
      endPhase(s);
      enterEncrypted(c, s, result, out, true);
      return;
    }
  }
}
