// The messages that must not go out in clear (issue 6, no silent downgrade): once a
// conversation is private by intent or the policy is 'always' (OTRv3 §"Policies"
// REQUIRE_ENCRYPTION), a message without an encrypted session waits in the persisted queue
// (SQLCipher, survives a restart), the user is told, an OTR query goes out, and the message is
// sent as soon as a private session is up, or when the user decides (send in clear / discard).
// The library's own queue is not used (libraryPolicy: requireEncryption off), so this is the only
// queue. Messages are encrypted for every target session (otr/peers.ts targets).
import { randomUUID } from 'node:crypto';
import type { OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Clock } from '../../../src-shared/otr/common/random';
import { copyId } from './fanout';
import type { Notices } from './notices';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';
import type { StatusReporter } from './status';
import type { OtrWire } from './wire';

export interface QueueDeps {
  accountId: string;
  store: OtrStore;
  clock: Clock;
  peers: Peers;
  notices: Notices;
  status: StatusReporter;
  transport(wire: OtrWire): void;
  isOnline(): boolean;
  /** otr/dispatch.ts handle */
  handle(ps: PeerState, out: EngineOutput, to: string): void;
  /** ends every session with the contact (the user leaves the private conversation) */
  end(peer: string): OtrStatus;
  /** a message that waited went out (encrypted, or in clear because the user chose so) */
  onQueuedSent(messageId: string, encrypted: boolean): void;
  /** the user discarded a message that waited */
  onQueuedDiscarded(messageId: string): void;
  /** a query went out for the waiting messages (otr/start-watch.ts watches it) */
  onStartRequested?(ps: PeerState): void;
}

export interface Queue {
  /** a message written in a private conversation: encrypted and sent now, or queued */
  sendPrivate(peer: string, messageId: string, text: string): 'sent' | 'queued';
  /** sends every queued message of the contact into its encrypted session; `announce`: say so */
  flush(ps: PeerState, announce?: boolean): void;
  /** the user's decision about messages that wait */
  resolve(peer: string, action: 'send-in-clear' | 'discard'): OtrStatus;
}

export function createQueue(deps: QueueDeps): Queue {
  const { accountId, store, peers, notices, status } = deps;

  /**
   * Encrypts `text` for every target session (otr/fanout.ts) and hands the wire messages over,
   * each device's copy to the full JID it writes from. Each copy's data message carries the
   * ChatMessage id, the others under an id of their own that names it (fanout.ts copyId): the
   * receipt of any device that read its copy makes the one stored row "Delivered". False when
   * no session took it.
   */
  const encryptToTargets = (ps: PeerState, messageId: string, text: string): boolean => {
    let carried = false;
    for (const tag of peers.targets(ps)) {
      const out = ps.conv.send(text, { instanceTag: tag });
      if (out.events.some((e) => e.type === 'error')) continue;
      const id = copyId(messageId, tag, !carried);
      out.toSend.forEach((body, i) => {
        const withId = i === out.toSend.length - 1;
        deps.transport({ to: peers.addressOf(ps, tag), id: withId ? id : randomUUID(), body, ...(withId ? { messageId } : {}) });
      });
      carried = true;
    }
    // a device of the contact that came online after the conversation became private has no
    // session yet: it is asked for one, so that it gets what is written next (otr/fanout.ts)
    if (carried) for (const to of peers.takeDevicesToAsk(ps)) for (const body of ps.conv.start().toSend) deps.transport({ to, id: randomUUID(), body });
    return carried;
  };

  return {
    sendPrivate(peer, messageId, text) {
      const ps = peers.state(peer);
      const s = peers.encryptedSession(ps);
      const online = deps.isOnline();
      if (s && online && encryptToTargets(ps, messageId, text)) {
        status.emit(ps);
        return 'sent';
      }
      store.enqueue(accountId, { messageId, peer, body: text, createdAt: deps.clock() });
      store.setPrivate(accountId, peer, true);
      if (online && !s) {
        const finished = ps.conv.sessions().some((x) => x.state === 'finished');
        notices.raise(peer, { kind: 'queued', because: finished ? 'ended-by-peer' : 'starting' });
        // One request at a time: a query per queued message restarted the key exchange on both
        // sides again and again while the user kept writing (OTRv3 §"Authenticated Key Exchange",
        // OTRv4 §"Interactive DAKE": a new query begins a new exchange), so no session ever came
        // up (bench/soak.ts). A request that is still out is waited for; one that was given up
        // is asked again by the new message.
        const requestOut = ps.starting !== undefined && !ps.starting.gaveUp;
        if (!finished && !requestOut) {
          deps.handle(ps, ps.conv.start(), ps.peer);
          deps.onStartRequested?.(ps);
        }
      }
      status.emit(ps);
      return 'queued';
    },

    flush(ps, announce = true) {
      if (!deps.isOnline()) return;
      if (!peers.encryptedSession(ps)) return;
      const queued = store.queued(accountId, ps.peer);
      if (queued.length === 0) return;
      for (const m of queued) {
        // never recurse into handle's flush
        if (!encryptToTargets(ps, m.messageId, m.body)) break;
        store.dequeue(accountId, m.messageId);
        deps.onQueuedSent(m.messageId, true);
      }
      if (announce) notices.raise(ps.peer, { kind: 'queue-sent' });
    },

    resolve(peer, action) {
      const ps = peers.state(peer);
      const queued = store.queued(accountId, peer);
      if (queued.length === 0) return status.emit(ps);
      if (action === 'discard') {
        for (const m of queued) {
          store.dequeue(accountId, m.messageId);
          deps.onQueuedDiscarded(m.messageId);
        }
        return status.emit(ps);
      }
      if (peers.policyFor(peer).policy === 'always') {
        throw new MessengerError(
          'invalid-argument',
          `The policy for ${peer} is "always private": messages are never sent unencrypted. Change the policy first.`,
        );
      }
      if (!deps.isOnline()) throw new MessengerError('not-connected', 'The account is not connected; the messages keep waiting.');
      // the user leaves the private conversation: end what is left of it (finished sessions)
      deps.end(peer);
      for (const m of queued) {
        deps.transport({ to: peer, id: m.messageId, body: peers.plaintextWire(peers.state(peer), m.body), messageId: m.messageId, inClear: true });
        store.dequeue(accountId, m.messageId);
        deps.onQueuedSent(m.messageId, false);
      }
      return status.emit(ps);
    },
  };
}
