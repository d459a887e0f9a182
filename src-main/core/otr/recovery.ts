// Recovery without rituals (issue 13): the contact's device answered one of our data messages
// with an OTR error message (OTRv3 §"Receiving an encrypted message" / OTRv4 §"Receiving an
// Encrypted Data Message": it could not read it; typically it restarted and its session is
// gone). Our side of that session is dead too, so it is dropped without writing into it, a
// new session is asked for at once (a query to the bare JID: the contact's device answers with
// a DAKE), and every message that the contact's device did not confirm (no XEP-0184 receipt,
// account/inbox.ts sends one only after decrypting) waits in the persisted queue (otr/queue.ts)
// and goes out inside the new session, once, marked re-sent. Never in clear: the conversation
// stays private by intent.
//
// An error message does not say which message it answers. One that arrives when every
// unconfirmed message has already been re-sent (a late answer to another dead message) is
// taken as such and leaves the new session alone.
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Clock } from '../../../src-shared/otr/common/random';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';

export interface RecoveryDeps {
  accountId: string;
  store: OtrStore;
  clock: Clock;
  peers: Peers;
  /** otr/dispatch.ts handle */
  handle(ps: PeerState, out: EngineOutput, to: string): void;
  /** our encrypted messages to `peer` that were written but never confirmed by a receipt, oldest first */
  unconfirmed(peer: string): Array<{ messageId: string; body: string; resent?: boolean; timestamp?: number }>;
  /** whether the contact's devices confirm what they read (a receipt came for one of our private messages) */
  confirmsReceipts(peer: string): boolean;
  /** sends what waits in the queue inside the running session (otr/queue.ts flush) */
  flush(ps: PeerState): void;
  /** this message goes out again in the new session (its ChatMessage is marked re-sent) */
  onResent(messageId: string): void;
}

export interface Recovery {
  /** the contact's device said it could not read what we sent */
  sessionLost(ps: PeerState): void;
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
  /** each message is re-sent once (issue 13: "once") */
  const resent = new Set<string>();

  return {
    sessionLost(ps) {
      if (!peers.encryptedSession(ps)) return; // nothing to recover: the library's own answer (a query) suffices
      const again = deps.unconfirmed(ps.peer).filter((m) => !resent.has(m.messageId));
      if (again.length === 0) return;
      // drop the dead sessions locally: what end() would write could not be read either
      for (const s of ps.conv.sessions()) {
        if (s.state !== 'encrypted') continue;
        const out = ps.conv.end(s.instanceTag);
        deps.handle(ps, { toSend: [], events: out.events }, peers.addressOf(ps, s.instanceTag));
      }
      ps.current = undefined;
      ps.offlineFanout = undefined;
      for (const m of again) {
        resent.add(m.messageId);
        store.enqueue(accountId, { messageId: m.messageId, peer: ps.peer, body: m.body, createdAt: deps.clock() });
        deps.onResent(m.messageId);
      }
      store.setPrivate(accountId, ps.peer, true);
      deps.handle(ps, ps.conv.start(), ps.peer);
    },

    contactReturned(ps, offlineSince) {
      if (!peers.encryptedSession(ps) || !deps.confirmsReceipts(ps.peer)) return;
      const again = deps.unconfirmed(ps.peer).filter((m) => !m.resent && !resent.has(m.messageId) && (m.timestamp ?? Infinity) < offlineSince);
      if (again.length === 0) return;
      for (const m of again) {
        resent.add(m.messageId);
        store.enqueue(accountId, { messageId: m.messageId, peer: ps.peer, body: m.body, createdAt: deps.clock() });
        deps.onResent(m.messageId);
      }
      deps.flush(ps);
    },
  };
}
