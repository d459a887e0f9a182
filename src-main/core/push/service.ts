// The push façade of the core (docs/architecture.md §7, issue 14): one object per profile that the account
// composition and the OTR session hook call into. Explicit dependencies (docs/architecture.md §2): the
// profile database, the keychain, a push-server client factory, a clock, timers and an event sink.
// What it does not do itself: send XMPP or OTR (the OTR hook is attached with attachOtr), log in
// accounts (it emits 'wake-requested' and the account composition acts on it).
import type { Database } from '@signalapp/sqlcipher';
import type { KeyStore } from '../keychain/keychain';
import type { DeliveryPayload } from '../../../src-shared/push/wire';
import { DesktopChannel, type ChannelStatus, type Timers } from './channel';
import { KnockRejectedError, PushHandshakeError } from './errors';
import { PushHandshake, type HandshakeEvent, type HandshakeState, type OtrPushLink } from './handshake';
import { KnockLimiter, openKnockFor, sealKnockFor } from './knock';
import { forget, resume, signIn, type PushApi, type PushApiFactory, type PushSignIn } from './push-account';
import { PushStore, type PushRecord } from './push-store';
import { deriveSharedKey, type ExtraSymmetricKeyInput } from './shared-key';

export type PushEvent =
  | HandshakeEvent
  | { type: 'channel'; accountId: string; status: ChannelStatus; detail?: string }
  /** a valid knock from this contact: log the account in and start a private session */
  | { type: 'wake-requested'; accountId: string; peer: string; via: 'knock' | 'chatsecure-token' }
  | { type: 'knock-sent'; accountId: string; peer: string }
  | { type: 'knock-dropped'; reason: string };

export interface WakeUpEntry {
  peer: string;
  state: HandshakeState;
  /** a record exists: each side may wake the other */
  canWake: boolean;
  rotatedAt?: number;
  otrVersion?: 3 | 4;
}

export interface PushSettings {
  accountId: string;
  apiEndpoint: string | null;
  pushName: string | null;
  status: ChannelStatus;
}

export interface PushServiceDeps {
  db: Database;
  keychain: KeyStore;
  http: PushApiFactory;
  clock: { now(): number };
  timers?: Timers;
  random: (n: number) => Uint8Array;
  events: (event: PushEvent) => void;
  /** one line per event, never with a secret (names of contacts are not logged either) */
  log?: (line: string) => void;
  /** the account's bare JID (account_name of the seed) */
  accountJid: (accountId: string) => string | undefined;
}

interface Live {
  api: PushApi;
  channel: DesktopChannel;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function createPushService(deps: PushServiceDeps) {
  const store = new PushStore(deps.db);
  const live = new Map<string, Live>();
  /** accounts whose channel is being reopened (resumeAccount called twice at once opens one) */
  const resuming = new Set<string>();
  const limiter = new KnockLimiter();
  const log = deps.log ?? (() => {});
  const timers = deps.timers ?? defaultTimers;
  let otr: OtrPushLink | undefined;

  const handshake = new PushHandshake({
    store,
    ourInfo: (accountId) => {
      const row = store.account(accountId);
      const jid = deps.accountJid(accountId);
      return row && jid ? { accountName: jid, pushName: row.push_name, apiEndpoint: row.api_endpoint } : undefined;
    },
    issueToken: async (accountId) => {
      const l = requireLive(accountId);
      const t = await l.api.createToken({ device: store.account(accountId)?.device_id ?? undefined, name: 'wake-up' });
      if (!t.token) throw new PushHandshakeError('no-push-account', 'the push server issued no token');
      return t.token;
    },
    revokeToken: async (accountId, token) => {
      await live.get(accountId)?.api.revokeToken(token);
    },
    derive: deriveSharedKey,
    now: () => deps.clock.now(),
    emit: (e) => deps.events(e),
    otr: () => otr,
  });

  const requireLive = (accountId: string): Live => {
    const l = live.get(accountId);
    if (!l) throw new PushHandshakeError('no-push-account', 'this account has no push account signed in');
    return l;
  };

  const handleDelivery = async (accountId: string, payload: DeliveryPayload): Promise<void> => {
    const now = deps.clock.now();
    if (payload.kind === 'message') {
      // ChatSecure v3.1 Level 1: the whitelist token names the contact we issued it to
      const record = store.recordByOurToken(payload.token);
      if (!record || record.accountId !== accountId) {
        log('push: dropped a token message: unknown token');
        deps.events({ type: 'knock-dropped', reason: 'unknown-token' });
        return;
      }
      deps.events({ type: 'wake-requested', accountId, peer: record.peer, via: 'chatsecure-token' });
      return;
    }
    try {
      const { record } = openKnockFor(store, payload.knock, now);
      if (record.accountId !== accountId) throw new KnockRejectedError('unknown-sender', 'the knock belongs to another account');
      limiter.answered(`${record.accountId}\n${record.peer}`);
      log('push: knock opened');
      deps.events({ type: 'wake-requested', accountId, peer: record.peer, via: 'knock' });
    } catch (e) {
      const reason = e instanceof KnockRejectedError ? e.code : 'invalid';
      // only the reason: no names, ids or key material
      log(`push: dropped a knock: ${reason}`);
      deps.events({ type: 'knock-dropped', reason });
    }
  };

  const goLive = (accountId: string, api: PushApi, deviceSecret: string): void => {
    const channel = new DesktopChannel({
      connect: () => api.connectDesktop(deviceSecret),
      handle: (p) => handleDelivery(accountId, p),
      onStatus: (status, detail) => deps.events({ type: 'channel', accountId, status, ...(detail ? { detail } : {}) }),
      timers,
    });
    live.set(accountId, { api, channel });
    channel.start();
  };

  const stopLive = async (accountId: string): Promise<void> => {
    const l = live.get(accountId);
    live.delete(accountId);
    if (!l) return;
    await l.channel.stop();
    l.api.close();
  };

  return {
    store,
    /** the OTR session hook (wired by the lead after the session split) */
    attachOtr(link: OtrPushLink | undefined): void {
      otr = link;
    },

    settings(accountId: string): PushSettings {
      const row = store.account(accountId);
      return { accountId, apiEndpoint: row?.api_endpoint ?? null, pushName: row?.push_name ?? null, status: live.get(accountId)?.channel.status ?? 'off' };
    },

    /** create or sign in to a push account, register this desktop, open its channel */
    async configure(accountId: string, input: PushSignIn): Promise<PushSettings> {
      await stopLive(accountId);
      const s = await signIn({ store, keys: deps.keychain, http: deps.http, now: deps.clock.now }, accountId, input);
      goLive(accountId, s.api, s.deviceSecret);
      return this.settings(accountId);
    },

    /** turns wake-ups off for the account: channel closed, push account forgotten locally */
    async disable(accountId: string): Promise<PushSettings> {
      await stopLive(accountId);
      await forget({ store, keys: deps.keychain }, accountId);
      return this.settings(accountId);
    },

    /** at start-up, on connect or sleep: reopen a stored push account's channel */
    async resumeAccount(accountId: string): Promise<void> {
      if (live.has(accountId) || resuming.has(accountId)) return;
      resuming.add(accountId);
      try {
        const s = await resume({ store, keys: deps.keychain, http: deps.http }, accountId);
        if (s && !live.has(accountId)) goLive(accountId, s.api, s.deviceSecret);
      } finally {
        resuming.delete(accountId);
      }
    },

    /** the user took the account offline (not asleep): the channel closes, the push account stays */
    suspend: (accountId: string): Promise<void> => stopLive(accountId),

    privateSessionStarted: (accountId: string, peer: string) => handshake.privateSessionStarted(accountId, peer),
    approve: (accountId: string, peer: string) => handshake.approve(accountId, peer),
    decline: (accountId: string, peer: string) => handshake.decline(accountId, peer),
    rotate: (accountId: string, peer: string) => handshake.rotate(accountId, peer),
    revoke: (accountId: string, peer: string) => handshake.revoke(accountId, peer),
    /** a TLV 0x01A4 from the OTR hook; a refused one is reported as an event, nothing stored */
    async receivedTlv(accountId: string, peer: string, value: Uint8Array, key?: ExtraSymmetricKeyInput): Promise<void> {
      try {
        await handshake.received(accountId, peer, value, key);
      } catch (e) {
        if (!(e instanceof PushHandshakeError)) throw e;
        log(`push: refused a handshake TLV: ${e.code}`);
        deps.events({ type: 'refused', accountId, peer, code: e.code, message: e.message });
      }
    },

    wakeUps(accountId: string): WakeUpEntry[] {
      const records = new Map(store.records(accountId).map((r) => [r.peer, r]));
      const peers = new Set([...records.keys(), ...store.handshakePeers(accountId)]);
      return [...peers].sort().map((peer) => {
        const r: PushRecord | undefined = records.get(peer);
        return { peer, state: handshake.state(accountId, peer), canWake: !!r, ...(r ? { rotatedAt: r.rotatedAt, otrVersion: r.otrVersion } : {}) };
      });
    },

    /**
     * The user wrote to `peer`, who is offline. Knocks if there is a record and no knock went in
     * the last minute without an answer. Returns whether a knock was sent.
     */
    async knock(accountId: string, peer: string): Promise<boolean> {
      const record = store.record(accountId, peer);
      const l = live.get(accountId);
      if (!record || !l) return false;
      const key = `${accountId}\n${peer}`;
      if (!limiter.take(key, deps.clock.now())) return false;
      try {
        await l.api.sendKnock(sealKnockFor(record, deps.clock.now(), deps.random));
      } catch (e) {
        limiter.answered(key);
        throw e;
      }
      deps.events({ type: 'knock-sent', accountId, peer });
      return true;
    },

    /** the contact came online or wrote: the next knock may go at once */
    contactAnswered(accountId: string, peer: string): void {
      limiter.answered(`${accountId}\n${peer}`);
    },

    async close(): Promise<void> {
      await Promise.all([...live.keys()].map((a) => stopLive(a)));
    },
  };
}

export type PushService = ReturnType<typeof createPushService>;
