// Keeps this device published on the prekey server of the account's own XMPP server
// (otrv4-prekey-server.md §"Publishing Prekey Values", §"Query the Prekey Server for its Storage
// Status"; otrv4.md §"Publishing Prekey Ensembles"; docs/prekey-server.md "Wiring into an
// account"). Started in the background after each new session comes online; it never blocks or
// fails the login:
// - discovery (§"Discovering a Prekey Server"): disco#items of our domain and disco#info of each
//   item. No prekey server, or a configured component that is not connected (Prosody answers
//   disco#info with an error), ends it there: a few IQs and nothing else.
// - the server's fingerprint is pinned on first use (a keychain entry next to the OTR identity)
//   and a changed one is refused: nothing is published and a warning is logged.
// - otherwise: the Storage Status, then the client profile and prekey profile (each login, so a
//   renewed profile or a server that lost its storage is covered) and prekey messages topped up
//   to the target when fewer than the threshold remain. Prekey secrets go into the keychain
//   (with the identity) BEFORE they are published (PrekeyClient calls savePrekeySecrets first).
// Outcomes are logged without any key material and published on the diagnostics channel
// PREKEY_CHANNEL (tests and diagnostics subscribe; nothing is sent to the renderer).
import { channel } from 'node:diagnostics_channel';
import type { PrekeySecrets } from '../../../src-shared/otr/v4/prekey-message';
import { nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import type { KeyStore } from '../keychain/keychain';
import type { OtrAccountIdentity } from '../otr/identity';
import type { XmppClient } from '../xmpp/client/client';
import { xml } from '../xmpp/client/client';
import { type DeviceIdentity, DEFAULT_REPLENISH, PrekeyClient, PrekeyError, type ReplenishPolicy } from './client';
import { type XmlFactory, type XmlNode, xmppClientAdapter } from './xmpp';

export const PREKEY_CHANNEL = 'messenger:prekey';

export type PrekeyOutcome =
  | { accountId: string; outcome: 'no-server' }
  | { accountId: string; outcome: 'fingerprint-changed'; server: string }
  | { accountId: string; outcome: 'published'; server: string; before: number; published: number }
  | { accountId: string; outcome: 'failed'; server?: string; code: string };

/**
 * Prekey messages made per publication. Each one costs an Ed448 key, a 3072-bit DH key and its
 * share of the batch proofs on the main process's event loop; publishing the stock in slices lets
 * the loop breathe between them (docs/prekey-server.md has the figures).
 */
export const LOGIN_PUBLICATION_SLICE = 25;

/** the keychain entry of the prekey server fingerprints pinned for an account */
export const prekeyPinsEntry = (accountId: string): string => `otr-prekey-pins:${accountId}`;

export interface PrekeyLifecycleDeps {
  accountId: string;
  client: XmppClient;
  keys: KeyStore;
  /** the account's OTR identity (as held by its OTR service) */
  identity(): Promise<OtrAccountIdentity>;
  /** adds the secrets to the identity and writes it to the keychain; resolves once written */
  savePrekeySecrets(secrets: PrekeySecrets[]): Promise<void>;
  policy?: ReplenishPolicy;
}

export interface PrekeyLifecycle {
  /** resolves with the outcome; never rejects */
  readonly done: Promise<PrekeyOutcome>;
  /** stops waiting for the server (the connection is going away) */
  close(): void;
}

const diagnostics = channel(PREKEY_CHANNEL);

function report(o: PrekeyOutcome): PrekeyOutcome {
  if (o.outcome === 'fingerprint-changed') {
    console.warn(`core: the prekey server ${o.server} presents a different key than before; nothing was published to it`);
  } else if (o.outcome === 'failed') {
    console.warn(`core: publishing prekeys${o.server ? ` to ${o.server}` : ''} failed (${o.code})`);
  }
  if (diagnostics.hasSubscribers) diagnostics.publish(o);
  return o;
}

async function readPins(keys: KeyStore, accountId: string): Promise<Record<string, string>> {
  const text = await keys.get(prekeyPinsEntry(accountId));
  if (text === null) return {};
  try {
    const o = JSON.parse(text) as unknown;
    if (!o || typeof o !== 'object') return {};
    return Object.fromEntries(Object.entries(o as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && /^[0-9A-F]{112}$/i.test(e[1])));
  } catch {
    // a damaged entry pins nothing; the first server seen is pinned again
    return {};
  }
}

function deviceOf(id: OtrAccountIdentity): DeviceIdentity | undefined {
  const cp = id.v4.clientProfiles[0];
  const pre = id.v4.sharedPrekeys[0];
  if (!cp || !pre) return undefined;
  return { instanceTag: id.instanceTag, longTerm: id.v4.longTerm, clientProfile: cp, prekeyProfile: pre.profile, sharedPrekey: pre.keyPair };
}

export function startPrekeyLifecycle(deps: PrekeyLifecycleDeps): PrekeyLifecycle {
  const { accountId, client } = deps;
  const e = client.entity;
  const xmpp = xmppClientAdapter(
    {
      get jid() {
        return e.jid;
      },
      iqCaller: { request: (s, t) => client.iqCaller.request(s as Parameters<typeof client.iqCaller.request>[0], t) as Promise<XmlNode> },
      send: (s) => e.send(s as Parameters<typeof e.send>[0]),
      on: (ev, f) => e.on(ev, f as (el: unknown) => void),
      removeListener: (ev, f) => e.removeListener(ev, f as (el: unknown) => void),
    },
    xml as unknown as XmlFactory,
    { iqTimeoutMs: 10_000 },
  );
  let pc: PrekeyClient | undefined;
  let closed = false;

  const run = async (): Promise<PrekeyOutcome> => {
    const identity = await deps.identity();
    const device = deviceOf(identity);
    if (!device) return { accountId, outcome: 'failed', code: 'no-profiles' };
    const pins = await readPins(deps.keys, accountId);
    if (closed) return { accountId, outcome: 'failed', code: 'closed' };
    pc = new PrekeyClient({
      xmpp,
      device,
      random: systemRandom,
      clock: Date.now,
      engine: nativeDh3072Engine(),
      savePrekeySecrets: (s) => deps.savePrekeySecrets(s),
      pinnedFingerprints: pins,
    });
    let server;
    try {
      server = await pc.ownServer();
    } catch (err) {
      if (err instanceof PrekeyError && err.code === 'no-prekey-server') return { accountId, outcome: 'no-server' };
      if (err instanceof PrekeyError && err.code === 'fingerprint-mismatch') {
        return { accountId, outcome: 'fingerprint-changed', server: Object.keys(pins).find((j) => err.message.includes(j)) ?? 'unknown' };
      }
      throw err;
    }
    if (!pins[server.jid]) {
      // trust on first use; written before anything is published so that a later change is caught
      await deps.keys.set(prekeyPinsEntry(accountId), JSON.stringify({ ...pins, [server.jid]: server.fingerprint }));
    }
    try {
      const policy = deps.policy ?? DEFAULT_REPLENISH;
      const before = await pc.storageStatus(server);
      let missing = before < policy.threshold ? policy.target - before : 0;
      let published = 0;
      let first = true;
      // the profiles ride with the first slice; then the rest of the stock, slice by slice
      while (!closed && (first || missing > 0)) {
        const n = Math.min(missing, LOGIN_PUBLICATION_SLICE);
        await pc.publish(server, { ...(first ? { clientProfile: true, prekeyProfile: true } : {}), prekeyMessages: n });
        published += n;
        missing -= n;
        first = false;
        await new Promise((r) => setImmediate(r));
      }
      if (closed) return { accountId, outcome: 'failed', server: server.jid, code: 'closed' };
      return { accountId, outcome: 'published', server: server.jid, before, published };
    } catch (err) {
      return { accountId, outcome: 'failed', server: server.jid, code: codeOf(err) };
    }
  };

  const done = run()
    .catch((err: unknown): PrekeyOutcome => ({ accountId, outcome: 'failed', code: codeOf(err) }))
    .then((o) => {
      pc?.close();
      // a connection that went away mid-way is no failure worth a warning; the next login retries
      return closed && o.outcome === 'failed' ? { accountId, outcome: 'failed' as const, code: 'closed' } : report(o);
    });
  return {
    done,
    close() {
      closed = true;
      pc?.close();
    },
  };
}

/** a code for logs: the error's kind only, never its text (which could quote a stanza) */
function codeOf(err: unknown): string {
  if (err instanceof PrekeyError) return err.code;
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') return (err as { code: string }).code;
  return err instanceof Error ? err.name : 'unknown';
}
