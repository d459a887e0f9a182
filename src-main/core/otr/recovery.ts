// Recovery without rituals (issue 13; docs/otr-in-the-app.md "Recovery without rituals"): the
// paths on which a private session with the contact's device dies or is replaced, and what the
// core does by itself on each. Every message that the contact's device did not confirm (no
// XEP-0184 receipt: account/inbox.ts sends one only after decrypting) goes again privately in
// the new session, once, marked re-sent, through the persisted queue (otr/queue.ts). Never in
// clear: the conversation stays private by intent on every path.
//
// - sessionLost: the contact's device answered with an OTR error message (OTRv3 §"Receiving an
//   encrypted message" / OTRv4 §"Receiving an Encrypted Data Message": it could not read us).
//   Our side is dead too: dropped without writing into it, a query asks for a new one.
// - keyChanged: a new session came up with a key never seen for the contact while we knew
//   another one (a reinstalled messenger, a re-added account; the fingerprint-changed notice
//   says so inline). What the old key's device never confirmed is re-sent in the new session.
// - contactLeft / resumeOffline: the contact went offline (their last device's presence
//   unavailable, RFC 6121 §4.5.2) while messages to them are unconfirmed: the core starts the
//   offline session itself from their prekeys (otrv4.md §"Non-Interactive DAKE", offline-start.ts)
//   and re-sends them in it. If they come back first, contactReturned applies instead.
// - contactReturned: the contact came back while our session stayed up (see its comment).
//
// An error message does not say which message it answers. One that arrives when every
// unconfirmed message has already been re-sent (a late answer to another dead message) is
// taken as such and leaves the new session alone.
import type { OtrStatus } from '../../../src-shared/ipc/otr-contract';
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Clock } from '../../../src-shared/otr/common/random';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';

/** one of our encrypted messages to the contact that no receipt confirmed */
export interface Unconfirmed {
  messageId: string;
  body: string;
  resent?: boolean;
  timestamp?: number;
}

/** what the account's history says about our private messages to a contact (one read of it) */
export interface Outgoing {
  /** written but never confirmed by a receipt, oldest first; not those waiting in the OTR queue */
  unconfirmed: Unconfirmed[];
  /** a receipt came for one of our private messages: the contact's devices confirm what they read */
  confirmsReceipts: boolean;
}

export interface RecoveryDeps {
  accountId: string;
  store: OtrStore;
  clock: Clock;
  peers: Peers;
  /** otr/dispatch.ts handle */
  handle(ps: PeerState, out: EngineOutput, to: string): void;
  outgoing(peer: string): Outgoing;
  /** sends what waits in the queue inside the running session (otr/queue.ts flush) */
  flush(ps: PeerState): void;
  /** this message goes out again in the new session (its ChatMessage is marked re-sent) */
  onResent(messageId: string): void;
  /** otr/offline-start.ts: the devices whose fetched ensembles are still usable, and the start */
  offline: { tags(peer: string): number[]; send(peer: string, instanceTags: number[]): OtrStatus };
}

export interface Recovery {
  /** the contact's device said it could not read what we sent */
  sessionLost(ps: PeerState): void;
  /** a session came up with a new key of a contact we knew with another one: re-send into it */
  keyChanged(ps: PeerState): void;
  /**
   * The contact went offline. True when an offline start would recover something: a session was
   * up, their devices send receipts, and messages to them are unconfirmed and not yet re-sent.
   * The caller then fetches their prekey ensembles and calls resumeOffline.
   */
  contactLeft(ps: PeerState): boolean;
  /** the offline start from the fetched ensembles, with what is unconfirmed re-sent in it; false when nothing was started */
  resumeOffline(ps: PeerState): boolean;
  /**
   * The contact came back online while our session with them stayed up. A message they never
   * confirmed may have reached a messenger that was closing, which read nothing and said nothing
   * (with sessions kept across restarts, no OTR error follows any more). Each such message goes
   * again in the running session, once (also across our restarts: the stored re-sent mark), with
   * its own id: a device that has it already drops the copy and confirms it (account/inbox.ts
   * deduplicates by XEP-0359 origin-id). Only for contacts whose devices send receipts: without
   * them nothing is ever confirmed, and everything would go again. Only what was written before
   * the contact went offline (`offlineSince`): what was written while they were away waited on
   * their server (offline storage) and reaches them without help.
   */
  contactReturned(ps: PeerState, offlineSince: number): void;
}

export function createRecovery(deps: RecoveryDeps): Recovery {
  const { accountId, store, peers } = deps;
  /** each message is re-sent once (issue 13: "once"); the stored mark makes it hold across restarts */
  const resent = new Set<string>();
  const notYet = (m: Unconfirmed) => !m.resent && !resent.has(m.messageId);

  /** into the persisted queue, marked re-sent; whoever flushes the queue sends them */
  const requeue = (ps: PeerState, again: Unconfirmed[]): void => {
    for (const m of again) {
      resent.add(m.messageId);
      store.enqueue(accountId, { messageId: m.messageId, peer: ps.peer, body: m.body, createdAt: deps.clock() });
      deps.onResent(m.messageId);
    }
    store.setPrivate(accountId, ps.peer, true);
  };

  /** what an offline start would re-send now (empty: nothing to do) */
  const awayCandidates = (ps: PeerState): Unconfirmed[] => {
    if (!peers.encryptedSession(ps)) return [];
    const o = deps.outgoing(ps.peer);
    return o.confirmsReceipts ? o.unconfirmed.filter(notYet) : [];
  };

  return {
    sessionLost(ps) {
      if (!peers.encryptedSession(ps)) return; // nothing to recover: the library's own answer (a query) suffices
      // an explicit error needs no receipts to be believed; only the "once" rule applies here
      const again = deps.outgoing(ps.peer).unconfirmed.filter((m) => !resent.has(m.messageId));
      if (again.length === 0) return;
      // drop the dead sessions locally: what end() would write could not be read either
      for (const s of ps.conv.sessions()) {
        if (s.state !== 'encrypted') continue;
        const out = ps.conv.end(s.instanceTag);
        deps.handle(ps, { toSend: [], events: out.events }, peers.addressOf(ps, s.instanceTag));
      }
      ps.current = undefined;
      ps.offlineFanout = undefined;
      requeue(ps, again);
      deps.handle(ps, ps.conv.start(), ps.peer);
    },

    keyChanged(ps) {
      // Called from the dispatch of the new session, before it flushes the queue: what is queued
      // here goes out inside that session right after. The old key's device cannot have read
      // anything written after it went; what it never confirmed goes again. Only for contacts
      // that send receipts (without them every message looks unread).
      const o = deps.outgoing(ps.peer);
      if (!o.confirmsReceipts) return;
      const again = o.unconfirmed.filter(notYet);
      if (again.length > 0) requeue(ps, again);
    },

    contactLeft(ps) {
      return awayCandidates(ps).length > 0;
    },

    resumeOffline(ps) {
      // asked again: the contact may have come back meanwhile (contactReturned re-sent them)
      const again = awayCandidates(ps);
      const tags = deps.offline.tags(ps.peer);
      if (again.length === 0 || tags.length === 0) return false;
      // the device of the dead session when it published; else every device that did (a
      // reinstalled messenger has a new instance tag; OTRv4 §"Instance Tags")
      const was = peers.encryptedSession(ps)?.instanceTag;
      const chosen = was !== undefined && tags.includes(was) ? [was] : tags;
      requeue(ps, again);
      try {
        deps.offline.send(ps.peer, chosen);
      } catch {
        // no session could start: the messages keep waiting in the queue (marked re-sent) for the
        // next session, interactive when the contact comes back; never in clear
        return false;
      }
      return true;
    },

    contactReturned(ps, offlineSince) {
      if (!peers.encryptedSession(ps)) return;
      // one read of the history for both questions
      const o = deps.outgoing(ps.peer);
      if (!o.confirmsReceipts) return;
      const again = o.unconfirmed.filter((m) => notYet(m) && (m.timestamp ?? Infinity) < offlineSince);
      if (again.length === 0) return;
      requeue(ps, again);
      deps.flush(ps);
    },
  };
}
