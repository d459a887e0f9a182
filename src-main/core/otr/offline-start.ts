// Offline start (otrv4.md §"Non-Interactive DAKE", §"Sending a Data Message to an offline
// participant"; issue 5): when the contact is offline, the user fetches the devices their prekey
// server offers (one ensemble per instance tag, devices()) and picks all of them or one
// (send()). Each chosen device gets its own non-interactive DAKE and a copy of every waiting
// message; what the user writes next goes to the same devices until the contact writes back
// (then the device they write from is the current one, as usual). Messages go to the bare JID:
// we do not know the resources of an offline contact. The sender gives up online deniability
// (otrv4.md §"Non-interactive DAKE": none "for the party that completes the DAKE by sending a
// Non-Interactive-Auth message"); the renderer says so before the user sends. On the other side,
// a session that came up from one of our prekeys says so (notice 'offline-start').
import type { OtrOfflineDevices, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { EngineOutput } from '../../../src-shared/otr/api';
import type { Clock } from '../../../src-shared/otr/common/random';
import { clientProfileFingerprint } from '../../../src-shared/otr/v4/client-profile';
import { toHex } from '../../../src-shared/otr/v4/keys';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import type { Notices } from './notices';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';
import type { StatusReporter } from './status';
import type { FetchedEnsembles } from './wire';

/**
 * Fetched ensembles are used within this time or fetched again: their client profiles may expire
 * and the user's choice was made on what the dialog showed.
 */
export const OFFLINE_ENSEMBLES_MAX_AGE_MS = 10 * 60_000;

export interface OfflineStartDeps {
  accountId: string;
  store: OtrStore;
  clock: Clock;
  peers: Peers;
  notices: Notices;
  status: StatusReporter;
  isOnline(): boolean;
  /** otr/dispatch.ts handle */
  handle(ps: PeerState, out: EngineOutput, to: string, messageId?: string, opts?: { announceFlush?: boolean }): void;
}

export interface OfflineStart {
  /** the devices an offline contact can be reached on, from ensembles just fetched */
  devices(peer: string, fetched: FetchedEnsembles): OtrOfflineDevices;
  /** starts a private conversation with each chosen device and sends what waits to all of them */
  send(peer: string, instanceTags: number[]): OtrStatus;
  /** the instance tags whose fetched ensembles are still usable (otr/recovery.ts picks from them) */
  tags(peer: string): number[];
  /** one of our one-time prekeys was used (by the conversation receiving now) */
  prekeyUsed(): void;
  /** around one receive: whether a contact started a conversation from one of our prekeys */
  beginReceive(): void;
  endReceive(ps: PeerState): void;
}

export function createOfflineStart(deps: OfflineStartDeps): OfflineStart {
  const { accountId, store, peers, notices, status } = deps;
  /** ensembles fetched for an offline start, per contact; each is used once (handed out once) */
  const offline = new Map<string, { at: number; byTag: Map<number, PrekeyEnsemble> }>();
  /** set while a receive runs when one of our one-time prekeys was used */
  let prekeyUsed = false;

  return {
    tags(peer) {
      const fetched = offline.get(peer);
      if (!fetched || deps.clock() - fetched.at > OFFLINE_ENSEMBLES_MAX_AGE_MS) return [];
      return [...fetched.byTag.keys()];
    },
    prekeyUsed: () => {
      prekeyUsed = true;
    },
    beginReceive: () => {
      prekeyUsed = false;
    },
    endReceive(ps) {
      const started = prekeyUsed;
      prekeyUsed = false;
      if (!started) return;
      notices.raise(ps.peer, { kind: 'offline-start' });
    },

    // The ensembles were validated by the prekey client. Kept for send(): the server hands each
    // ensemble out only once.
    devices(peer, fetched) {
      const base = { accountId, peer };
      if (!fetched.ok) {
        offline.delete(peer);
        if (fetched.reason === 'fingerprint-changed')
          notices.raise(peer, { kind: 'prekey-server-changed', server: fetched.server, fingerprint: fetched.announced.toLowerCase(), whose: 'contact' });
        return { ...base, devices: [], unavailable: fetched.reason };
      }
      offline.set(peer, { at: deps.clock(), byTag: new Map(fetched.byInstanceTag) });
      const seen = new Map(store.fingerprints(accountId, peer).map((f) => [f.fingerprint, f]));
      const devices = [...fetched.byInstanceTag].map(([instanceTag, e]) => {
        const fingerprint = toHex(clientProfileFingerprint(e.clientProfile));
        const known = seen.get(fingerprint);
        return { instanceTag, fingerprint, known: known !== undefined, verified: known?.verified ?? false, expiresAt: Number(e.clientProfile.expires) * 1000 };
      });
      return { ...base, devices };
    },

    // one Non-Interactive-Auth per chosen device, to the bare JID
    send(peer, instanceTags) {
      if (!deps.isOnline()) throw new MessengerError('not-connected', 'The account is not connected.');
      const ps = peers.state(peer);
      const fetched = offline.get(peer);
      if (!fetched || deps.clock() - fetched.at > OFFLINE_ENSEMBLES_MAX_AGE_MS) {
        throw new MessengerError('invalid-argument', `Look up ${peer}'s devices again: the list is missing or too old.`);
      }
      const tags = [...new Set(instanceTags)];
      if (tags.some((t) => !fetched.byTag.has(t)))
        throw new MessengerError('invalid-argument', `That device of ${peer} is not in the list; look up their devices again.`);
      const out: EngineOutput = { toSend: [], events: [] };
      const started: number[] = [];
      for (const tag of tags) {
        const ensemble = fetched.byTag.get(tag)!;
        // one use only: a second DAKE with the same one-time prekey would fail on the other side
        fetched.byTag.delete(tag);
        const o = ps.conv.startNonInteractive(ensemble);
        if (o.events.some((e) => e.type === 'error')) continue;
        out.toSend.push(...o.toSend);
        out.events.push(...o.events);
        started.push(tag);
      }
      if (started.length === 0)
        throw new MessengerError('otr-error', `No private conversation could be started with ${peer}'s devices; look up their devices again.`);
      store.setPrivate(accountId, peer, true);
      ps.offlineFanout = started;
      const waiting = store.queuedCount(accountId, peer);
      // sends the Non-Interactive-Auth messages, then (encrypted now) the waiting messages to
      // each device; the 'offline-sent' notice below says where they went
      deps.handle(ps, out, ps.peer, undefined, { announceFlush: false });
      notices.raise(ps.peer, { kind: 'offline-sent', messages: waiting, devices: started.length });
      return status.emit(ps);
    },
  };
}
