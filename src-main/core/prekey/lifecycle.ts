// The prekey side of one connected account (otrv4-prekey-server.md §"Publishing Prekey Values",
// §"Query the Prekey Server for its Storage Status", §"Retrieving Prekey Ensembles"; otrv4.md
// §"Publishing Prekey Ensembles"; docs/prekey-server.md "Wiring into an account"). Started in the
// background after each new session comes online; it never blocks or fails the login. It keeps
// this device published on the prekey server of the account's own XMPP server:
// - discovery (§"Discovering a Prekey Server"): disco#items of our domain and disco#info of each
//   item. No prekey server, or a configured component that is not connected (Prosody answers
//   disco#info with an error), ends it there: a few IQs and nothing else.
// - the server's fingerprint is pinned on first use (a keychain entry next to the OTR identity)
//   and a changed one is refused: nothing is published and a warning is logged.
// - otherwise: the Storage Status, then the client profile and prekey profile (each login, so a
//   renewed profile or a server that lost its storage is covered) and prekey messages topped up
//   to the target when fewer than the threshold remain. Prekey secrets go into the keychain
//   (with the identity) BEFORE they are published (PrekeyClient calls savePrekeySecrets first).
// - after a prekey of ours was used (a contact started a conversation while we were offline), the
//   stock is checked again and topped up (replenish()), so it does not only recover at login.
// - profiles live 7 days and are renewed a day before they expire (otrv4.md §"Client Profile
//   Expiration and Renewal"); a session that stays up that long renews and publishes them
//   (checkRenewal(), every RENEWAL_CHECK_MS), so contacts keep finding a valid ensemble.
// - secrets of prekey messages that can no longer be used are forgotten at login (see
//   PREKEY_RETENTION).
// And it fetches a contact's ensembles (retrieve()) from the prekey server of the contact's XMPP
// server, whose fingerprint is pinned on first use the same way.
// Outcomes are logged without any key material and published on the diagnostics channel
// PREKEY_CHANNEL (tests and diagnostics subscribe); the session turns a changed server key into
// a notice for the user.
import type { PrekeySecrets } from '../../../src-shared/otr/v4/prekey-message';
import { nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import type { KeyStore } from '../keychain/keychain';
import type { OtrAccountIdentity } from '../otr/identity';
import type { XmppClient } from '../xmpp/client/client';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import type { PrekeyRetention } from '../../../src-shared/otr/v4/identity';
import {
  type DeviceIdentity,
  DEFAULT_REPLENISH,
  PrekeyClient,
  PrekeyError,
  type PrekeyServerInfo,
  PrekeyServerKeyChanged,
  type ReplenishPolicy,
  domainOf,
} from './client';
import { codeOf, report, type PrekeyOutcome } from './outcomes';
import { prekeyPinsEntry, readPins } from './pins';
import { prekeyXmppOf } from './xmpp';

// moved to their own files; still importable from here
export { PREKEY_CHANNEL, type PrekeyOutcome } from './outcomes';
export { prekeyPinsEntry, repinPrekeyServer } from './pins';
export { prekeyXmppOf } from './xmpp';

/**
 * How long a one-time prekey secret is kept. The prekey server drops a prekey message 30 days
 * after it was stored (its default, src-server/prekey/server.ts), and a message handed out but
 * never used names a secret nobody will ask for; an offline Non-Interactive-Auth may still wait
 * on the contact's side or on our XMPP server for a while after that, hence another 30 days. The
 * count cap bounds the keychain entry if a server keeps losing or handing out its stock.
 */
/** how often a running session checks whether its profiles are due for renewal */
export const RENEWAL_CHECK_MS = 6 * 3600_000;

export const PREKEY_RETENTION: PrekeyRetention = { maxAgeMs: 60 * 24 * 3600_000, maxKept: 1000 };

/**
 * a contact's ensembles, or why there are none as a code (the renderer words it): no prekey
 * server, nothing published, nothing usable (expired or invalid), or a changed server key
 */
export type ContactEnsembles =
  | { ok: true; server: string; byInstanceTag: Map<number, PrekeyEnsemble> }
  | { ok: false; reason: 'no-server' | 'none' | 'unusable'; server?: string }
  | { ok: false; reason: 'fingerprint-changed'; server: string; announced: string };

/**
 * Prekey messages made per publication. Each one costs an Ed448 key, a 3072-bit DH key and its
 * share of the batch proofs on the main process's event loop; publishing the stock in slices lets
 * the loop breathe between them (docs/prekey-server.md has the figures).
 */
export const LOGIN_PUBLICATION_SLICE = 25;

export interface PrekeyLifecycleDeps {
  accountId: string;
  client: XmppClient;
  keys: KeyStore;
  /** the account's OTR identity (as held by its OTR service) */
  identity(): Promise<OtrAccountIdentity>;
  /** adds the secrets to the identity and writes it to the keychain; resolves once written */
  savePrekeySecrets(secrets: PrekeySecrets[]): Promise<void>;
  /** forgets secrets past PREKEY_RETENTION (and writes the identity when any went) */
  forgetStalePrekeys(retention: PrekeyRetention): Promise<number>;
  /** renews profiles due for renewal and writes the identity; true when something was renewed */
  renewProfiles(): Promise<boolean>;
  policy?: ReplenishPolicy;
}

export interface PrekeyLifecycle {
  /** resolves with the outcome of the publication at login; never rejects */
  readonly done: Promise<PrekeyOutcome>;
  /**
   * a prekey of ours was used: check the stock and top it up below the threshold, after the
   * login's publication and coalesced with any other check still waiting (never rejects)
   */
  replenish(): Promise<PrekeyOutcome | undefined>;
  /**
   * renews the profiles if they are due and publishes the new ones with a top-up (runs by itself
   * every RENEWAL_CHECK_MS; never rejects). Undefined when nothing was due.
   */
  checkRenewal(): Promise<PrekeyOutcome | undefined>;
  /** a contact's ensembles, validated (PrekeyClient.retrieve); rejects with PrekeyError on failure */
  retrieve(peer: string): Promise<ContactEnsembles>;
  /** stops waiting for the server (the connection is going away) */
  close(): void;
}

function deviceOf(id: OtrAccountIdentity): DeviceIdentity | undefined {
  const cp = id.v4.clientProfiles[0];
  const pre = id.v4.sharedPrekeys[0];
  if (!cp || !pre) return undefined;
  return { instanceTag: id.instanceTag, longTerm: id.v4.longTerm, clientProfile: cp, prekeyProfile: pre.profile, sharedPrekey: pre.keyPair };
}

export function startPrekeyLifecycle(deps: PrekeyLifecycleDeps): PrekeyLifecycle {
  const { accountId, client } = deps;
  const xmpp = prekeyXmppOf(client, { iqTimeoutMs: 10_000 });
  const policy = deps.policy ?? DEFAULT_REPLENISH;
  let closed = false;
  // the pins of every prekey server seen (ours and contacts'); the client reads this object
  let pins: Record<string, string> = {};
  let pinWrites: Promise<unknown> = Promise.resolve();

  const prepare = async (): Promise<PrekeyClient | undefined> => {
    const identity = await deps.identity();
    const device = deviceOf(identity);
    if (!device) return undefined;
    pins = await readPins(deps.keys, accountId);
    if (closed) return undefined;
    return new PrekeyClient({
      xmpp,
      device,
      random: systemRandom,
      clock: Date.now,
      engine: nativeDh3072Engine(),
      savePrekeySecrets: (s) => deps.savePrekeySecrets(s),
      pinnedFingerprints: pins,
    });
  };
  const ready = prepare();
  ready.catch(() => {});

  /** trust on first use: written before the server is used, so that a later change is caught */
  const pin = (server: PrekeyServerInfo): Promise<void> => {
    if (pins[server.jid]) return Promise.resolve();
    pins[server.jid] = server.fingerprint;
    const write = pinWrites.then(() => deps.keys.set(prekeyPinsEntry(accountId), JSON.stringify(pins)));
    pinWrites = write.catch(() => {});
    return write;
  };

  /** the storage status, then profiles (when asked) and prekey messages up to the target, in slices */
  const topUp = async (pc: PrekeyClient, server: PrekeyServerInfo, withProfiles: boolean): Promise<{ before: number; published: number } | undefined> => {
    const before = await pc.storageStatus(server);
    let missing = before < policy.threshold ? policy.target - before : 0;
    let published = 0;
    let first = withProfiles;
    while (!closed && (first || missing > 0)) {
      const n = Math.min(missing, LOGIN_PUBLICATION_SLICE);
      await pc.publish(server, { ...(first ? { clientProfile: true, prekeyProfile: true } : {}), prekeyMessages: n });
      published += n;
      missing -= n;
      first = false;
      await new Promise((r) => setImmediate(r));
    }
    return closed ? undefined : { before, published };
  };

  const ownServer = async (pc: PrekeyClient): Promise<PrekeyServerInfo | PrekeyOutcome> => {
    try {
      const server = await pc.ownServer();
      await pin(server);
      return server;
    } catch (err) {
      if (err instanceof PrekeyError && err.code === 'no-prekey-server') return { accountId, outcome: 'no-server' };
      if (err instanceof PrekeyServerKeyChanged) return { accountId, outcome: 'fingerprint-changed', server: err.server, announced: err.announced };
      throw err;
    }
  };

  const atLogin = async (): Promise<PrekeyOutcome> => {
    const pc = await ready;
    if (!pc) return { accountId, outcome: 'failed', code: closed ? 'closed' : 'no-profiles' };
    await deps.forgetStalePrekeys(PREKEY_RETENTION);
    const server = await ownServer(pc);
    if ('outcome' in server) return server;
    try {
      // the profiles go with each login, so a renewed profile or a server that lost its storage is covered
      const r = await topUp(pc, server, true);
      return r ? { accountId, outcome: 'published', server: server.jid, ...r } : { accountId, outcome: 'failed', server: server.jid, code: 'closed' };
    } catch (err) {
      return { accountId, outcome: 'failed', server: server.jid, code: codeOf(err) };
    }
  };

  const settle = (o: PrekeyOutcome): PrekeyOutcome =>
    // a connection that went away mid-way is no failure worth a warning; the next login retries
    closed && o.outcome === 'failed' ? { accountId, outcome: 'failed', code: 'closed' } : report(o);

  const done = atLogin()
    .catch((err: unknown): PrekeyOutcome => ({ accountId, outcome: 'failed', code: codeOf(err) }))
    .then(settle);

  // the later publications run one at a time, after the login's
  let later: Promise<unknown> = done;
  const afterLogin = <T>(f: () => Promise<T>): Promise<T> => {
    const next = later.then(f, f);
    later = next.catch(() => undefined);
    return next;
  };
  const publishAgain = async (withProfiles: boolean, trigger: 'prekey-used' | 'renewal'): Promise<PrekeyOutcome | undefined> => {
    const first = await done;
    const pc = await ready;
    if (closed || !pc || first.outcome !== 'published') return undefined;
    const server = await ownServer(pc);
    if ('outcome' in server) return settle(server);
    const r = await topUp(pc, server, withProfiles);
    return r ? settle({ accountId, outcome: 'published', server: server.jid, ...r, trigger }) : undefined;
  };

  // one check runs at a time; prekeys used while it runs are covered by one more check after it
  let running: Promise<PrekeyOutcome | undefined> | null = null;
  let again = false;
  const checkAfterUse = (): Promise<PrekeyOutcome | undefined> => afterLogin(() => publishAgain(false, 'prekey-used'));
  const replenish = (): Promise<PrekeyOutcome | undefined> => {
    if (running) {
      again = true;
      return running;
    }
    const run = checkAfterUse()
      .catch((err: unknown) => settle({ accountId, outcome: 'failed', code: codeOf(err) }))
      .finally(() => {
        running = null;
        if (again && !closed) {
          again = false;
          void replenish();
        }
      });
    running = run;
    return run;
  };

  const checkRenewal = (): Promise<PrekeyOutcome | undefined> =>
    afterLogin(async () => {
      const pc = await ready;
      if (closed || !pc || !(await deps.renewProfiles())) return undefined;
      const device = deviceOf(await deps.identity());
      if (!device) return undefined;
      pc.setDevice(device);
      return publishAgain(true, 'renewal');
    }).catch((err: unknown) => settle({ accountId, outcome: 'failed', code: codeOf(err) }));
  const renewalTimer = setInterval(() => void checkRenewal(), RENEWAL_CHECK_MS);
  renewalTimer.unref?.();

  const retrieve = async (peer: string): Promise<ContactEnsembles> => {
    const pc = await ready;
    if (!pc) throw new PrekeyError('timeout', 'the prekey client is not available');
    let server: PrekeyServerInfo;
    try {
      server = await pc.discover(domainOf(peer));
    } catch (err) {
      if (err instanceof PrekeyError && err.code === 'no-prekey-server') {
        return { ok: false, reason: 'no-server' };
      }
      if (err instanceof PrekeyServerKeyChanged) {
        return { ok: false, reason: 'fingerprint-changed', server: err.server, announced: err.announced };
      }
      throw err;
    }
    await pin(server);
    const got = await pc.retrieve(peer, server);
    if (got.byInstanceTag.size === 0) {
      return { ok: false, reason: got.none ? 'none' : 'unusable', server: server.jid };
    }
    return { ok: true, server: server.jid, byInstanceTag: got.byInstanceTag };
  };

  return {
    done,
    replenish,
    checkRenewal,
    retrieve,
    close() {
      closed = true;
      clearInterval(renewalTimer);
      void ready.then(
        (pc) => pc?.close(),
        () => {},
      );
    },
  };
}
