// The client side of the OTRv4 prekey server protocol (otrv4-prekey-server.md §"Key Exchange"
// (Alice's steps), §"Publishing Prekey Values", §"Query the Prekey Server for its Storage Status",
// §"Retrieving Prekey Ensembles", §"A Prekey Server for OTRv4 over XMPP"; docs/architecture.md §8).
// One PrekeyClient per account and device: it finds prekey servers by disco, checks their
// fingerprint, runs the DAKE with them, publishes this device's profiles and prekey messages,
// keeps the stock above a threshold, and fetches and validates a contact's ensembles.
// "there can only be one request in flight at the same time from the same party while using an
// specific device": every exchange with one server is queued behind the previous one.
import { LegacyKeyTypeOrderError } from '../../../src-shared/otr/v4/key-type';
import type { ClientProfile } from '../../../src-shared/otr/v4/client-profile';
import type { EdKeyPair } from '../../../src-shared/otr/v4/keys';
import { createPrekeyMessage, encodePrekeyMessage } from '../../../src-shared/otr/v4/prekey-message';
import type { PrekeyProfile } from '../../../src-shared/otr/v4/prekey-profile';
import { selectRetrievedEnsembles } from '../../../src-shared/prekey/ensembles';
import { storageInfoMac } from '../../../src-shared/prekey/dake';
import { PublisherDake, PublisherError } from '../../../src-shared/prekey/publisher';
import { Reassembler, fragmentMessage, isFragment } from '../../../src-shared/prekey/fragment';
import { decodeBody, encodeBody } from '../../../src-shared/prekey/framing';
import {
  type AttachedMessage,
  MAX_PREKEY_MESSAGES_PER_PUBLICATION,
  PREKEY_PROTOCOL_VERSION,
  type TopLevelMessage,
  decodeTopLevel,
  encodeMessage,
} from '../../../src-shared/prekey/messages';
import { buildPublication } from '../../../src-shared/prekey/publication';
import { discoverPrekeyServer } from './discovery';
import type { StanzaError } from './xmpp';
import { bareKey } from '../../../src-shared/ipc/jid';
import { PrekeyError } from './errors';
import {
  DEFAULT_REPLENISH,
  type DeviceIdentity,
  type PrekeyClientOptions,
  type PrekeyServerInfo,
  type ReplenishPolicy,
  type RetrievedEnsembles,
} from './client-types';

// the errors and option types have files of their own; still importable from here
export * from './errors';
export * from './client-types';

interface Waiter {
  accept: (m: TopLevelMessage) => boolean;
  resolve: (m: TopLevelMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function domainOf(jid: string): string {
  const bare = bareKey(jid);
  const at = bare.indexOf('@');
  return at === -1 ? bare : bare.slice(at + 1);
}

export class PrekeyClient {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly reassembler: Reassembler;
  private readonly unsubscribe: () => void;
  private readonly discovered = new Map<string, PrekeyServerInfo>();

  private device: DeviceIdentity;

  constructor(private readonly o: PrekeyClientOptions) {
    this.device = o.device;
    this.reassembler = new Reassembler(o.clock);
    this.unsubscribe = o.xmpp.onMessage((from, body, error) => this.onStanza(from, body, error));
  }

  /** after renewing profiles or keys (§"Client Profile Expiration and Renewal"); publish them next */
  setDevice(device: DeviceIdentity): void {
    this.device = device;
  }

  close(): void {
    this.unsubscribe();
    for (const list of this.waiters.values()) for (const w of list) this.fail(w, new PrekeyError('timeout', 'prekey client closed'));
    this.waiters.clear();
  }

  // ---- discovery (§"Discovering a Prekey Server") ----

  /** §"Discovering a Prekey Server" (discovery.ts), once per domain */
  async discover(domain: string): Promise<PrekeyServerInfo> {
    const cached = this.discovered.get(domain);
    if (cached) return cached;
    const info = await discoverPrekeyServer(this.o, domain);
    this.discovered.set(domain, info);
    return info;
  }

  /** the prekey server of our own XMPP server */
  ownServer(): Promise<PrekeyServerInfo> {
    return this.discover(domainOf(this.o.xmpp.jid()));
  }

  // ---- DAKE and the messages attached to DAKE-3 (§"Key Exchange") ----

  /** publishes any of: client profile, prekey profile, new prekey messages (≤ 255) */
  async publish(
    server: PrekeyServerInfo,
    what: {
      /** true = this device's current profile; or a given profile (e.g. a renewal) */
      clientProfile?: boolean | ClientProfile;
      prekeyProfile?: boolean | { profile: PrekeyProfile; sharedPrekey: EdKeyPair };
      prekeyMessages?: number;
    },
  ): Promise<{ published: number }> {
    const n = what.prekeyMessages ?? 0;
    if (n < 0 || n > MAX_PREKEY_MESSAGES_PER_PUBLICATION) throw new RangeError('0..255 prekey messages per publication');
    const d = this.device;
    const cp = what.clientProfile === true ? d.clientProfile : what.clientProfile || undefined;
    const pp = what.prekeyProfile === true ? { profile: d.prekeyProfile, sharedPrekey: d.sharedPrekey } : what.prekeyProfile || undefined;
    const made = Array.from({ length: n }, () => createPrekeyMessage(this.o.random, this.o.engine, d.instanceTag));
    if (made.length > 0) await this.o.savePrekeySecrets(made.map((m) => m.secrets));
    await this.serial(server.jid, () =>
      this.dake(server, (sk, macKey) =>
        buildPublication({
          sk,
          macKey,
          prekeys: made.map((m) => ({
            encoded: encodePrekeyMessage(m.message),
            y: { secret: m.secrets.ecdh.secret, public: m.secrets.ecdh.public },
            b: { secret: m.secrets.dh.secret, public: m.secrets.dh.public },
          })),
          ...(cp ? { clientProfile: cp.encoded } : {}),
          ...(pp ? { prekeyProfile: { encoded: pp.profile.encoded, sharedPrekey: { secret: pp.sharedPrekey.secret, public: pp.sharedPrekey.public } } } : {}),
          random: this.o.random,
          engine: this.o.engine,
        }),
      ),
    );
    return { published: n };
  }

  /** §"Query the Prekey Server for its Storage Status": prekey messages stored for this device */
  async storageStatus(server: PrekeyServerInfo): Promise<number> {
    const result = await this.serial(server.jid, () =>
      this.dake(server, (_sk, macKey) => ({ type: 'storage-info-request', version: PREKEY_PROTOCOL_VERSION, mac: storageInfoMac(macKey) })),
    );
    if (result === undefined) throw new PrekeyError('malformed-response', 'no storage status');
    return result;
  }

  /**
   * Keeps this device published: profiles when asked (first run, renewal, new key), and prekey
   * messages topped up to `target` whenever fewer than `threshold` remain.
   */
  async replenish(
    server: PrekeyServerInfo,
    policy: ReplenishPolicy = DEFAULT_REPLENISH,
    profiles: { clientProfile?: boolean; prekeyProfile?: boolean } = {},
  ): Promise<{ before: number; published: number }> {
    const before = await this.storageStatus(server);
    let missing = before < policy.threshold ? policy.target - before : 0;
    let published = 0;
    let first = true;
    while (missing > 0 || (first && (profiles.clientProfile || profiles.prekeyProfile))) {
      const n = Math.max(0, Math.min(missing, MAX_PREKEY_MESSAGES_PER_PUBLICATION));
      await this.publish(server, { ...(first ? profiles : {}), prekeyMessages: n });
      published += n;
      missing -= n;
      first = false;
    }
    return { before, published };
  }

  /**
   * One DAKE with the server (DAKE-1, DAKE-2 checked against the discovered fingerprint, DAKE-3
   * with the attached message), then the answer. Returns the stored count for a Storage Status,
   * undefined for Success; a Failure message becomes PrekeyError('server-failure').
   */
  private async dake(server: PrekeyServerInfo, attach: (sk: Uint8Array, macKey: Uint8Array) => AttachedMessage): Promise<number | undefined> {
    const d = this.device;
    const serverJid = bareKey(server.jid);
    const dake = new PublisherDake({
      random: this.o.random,
      instanceTag: d.instanceTag,
      longTerm: d.longTerm,
      clientProfile: d.clientProfile,
      publisherJid: bareKey(this.o.xmpp.jid()),
      serverJid,
      serverFingerprint: server.fingerprint,
    });
    try {
      const dake2 = this.expect(serverJid, (m) => dake.isOurDake2(m));
      await this.o.xmpp.sendMessage(server.jid, encodeBody(dake.start()));
      const m2 = await dake2;
      if (m2.type !== 'dake2') throw new PrekeyError('malformed-response', 'expected DAKE-2');
      const dake3 = dake.onDake2(m2, attach);
      const answer = this.expect(serverJid, (m) => dake.isOurAnswer(m));
      // a publication of many prekey messages may exceed what the network carries in one stanza
      const id = this.o.random(4);
      const pieces = fragmentMessage(encodeBody(dake3), this.o.maxMessageChars ?? 60_000, {
        identifier: ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0,
        senderInstanceTag: d.instanceTag,
        receiverInstanceTag: 0,
      });
      for (const piece of pieces) await this.o.xmpp.sendMessage(server.jid, piece);
      const outcome = dake.onAnswer(await answer);
      if (outcome.type === 'failure') throw new PrekeyError('server-failure', 'the prekey server refused the request (Failure message)');
      return outcome.type === 'storage-status' ? outcome.stored : undefined;
    } catch (e) {
      if (e instanceof PublisherError) {
        throw new PrekeyError(e.code === 'bad-mac' ? 'malformed-response' : e.code, e.message);
      }
      throw e;
    }
  }

  // ---- retrieval (§"Retrieving Prekey Ensembles") ----

  /** fetches and validates the ensembles of `identity` (a bare JID) from its server's prekey server */
  async retrieve(identity: string, server?: PrekeyServerInfo): Promise<RetrievedEnsembles> {
    const target = bareKey(identity);
    const srv = server ?? (await this.discover(domainOf(target)));
    const tag = this.device.instanceTag;
    return this.serial(srv.jid, async () => {
      const answer = this.expect(
        bareKey(srv.jid),
        (m) => (m.type === 'ensemble-retrieval' || m.type === 'no-prekey-ensembles') && m.receiverInstanceTag === tag && bareKey(m.identity) === target,
      );
      await this.o.xmpp.sendMessage(
        srv.jid,
        encodeBody(encodeMessage({ type: 'ensemble-query', version: PREKEY_PROTOCOL_VERSION, senderInstanceTag: tag, identity: target, versions: '4' })),
      );
      const reply = await answer;
      if (reply.type === 'no-prekey-ensembles') return { identity: target, byInstanceTag: new Map(), received: 0, none: true, text: reply.text };
      if (reply.type !== 'ensemble-retrieval') throw new PrekeyError('malformed-response', 'unexpected answer');
      // the server is untrusted: re-validate everything (§"Receiving Prekey Ensembles")
      const { byInstanceTag } = selectRetrievedEnsembles(reply, { nowMs: this.o.clock(), engine: this.o.engine });
      return { identity: target, byInstanceTag, received: reply.ensembles.length, none: false };
    });
  }

  // ---- plumbing ----

  private serial<T>(serverJid: string, f: () => Promise<T>): Promise<T> {
    const key = bareKey(serverJid);
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(f, f);
    this.queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  private expect(from: string, accept: (m: TopLevelMessage) => boolean): Promise<TopLevelMessage> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        accept,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(from, w);
          reject(new PrekeyError('timeout', `no answer from ${from}`));
        }, this.o.responseTimeoutMs ?? 20_000),
      };
      const list = this.waiters.get(from) ?? [];
      list.push(w);
      this.waiters.set(from, list);
    });
  }

  private remove(from: string, w: Waiter): void {
    const list = this.waiters.get(from)?.filter((x) => x !== w) ?? [];
    if (list.length) this.waiters.set(from, list);
    else this.waiters.delete(from);
  }

  private fail(w: Waiter, e: Error): void {
    clearTimeout(w.timer);
    w.reject(e);
  }

  private onStanza(fromJid: string, body: string | null, error?: StanzaError): void {
    const from = bareKey(fromJid);
    const list = this.waiters.get(from);
    if (!list || list.length === 0) return;
    if (error) {
      // one request in flight per server: the refusal is the answer to it
      const w = list[0]!;
      this.remove(from, w);
      this.fail(w, new PrekeyError('refused', `prekey server refused: ${error.text ?? error.condition}`));
      return;
    }
    if (body === null) return;
    let text = body.trim();
    try {
      if (isFragment(text)) {
        const whole = this.reassembler.push(text, this.device.instanceTag);
        if (whole === undefined) return;
        text = whole;
      }
      const m = decodeTopLevel(decodeBody(text));
      const w = list.find((x) => x.accept(m));
      if (!w) return;
      this.remove(from, w);
      clearTimeout(w.timer);
      w.resolve(m);
    } catch (e) {
      // a server that still holds profiles in the old key-type byte order (not upgraded yet):
      // say so now rather than waiting for the timeout (docs/prekey-server.md "Upgrading")
      if (e instanceof LegacyKeyTypeOrderError) {
        const w = list[0]!;
        this.remove(from, w);
        this.fail(w, new PrekeyError('malformed-response', 'the prekey server sent profiles in the old key-type byte order: it needs to be upgraded'));
      }
      // otherwise: not a prekey server message for us (or malformed): ignored, as the spec asks
    }
  }
}
