// Test support for the OTR service's unit tests (otr/*.test.ts): two OTR services (two accounts)
// wired to each other in-process, without XMPP: what each one hands to its transport is
// delivered to the other's receive(), from a full JID, in order. Real libraries, real SQLCipher
// databases in temp dirs, real (native) DH engines.
import { Database } from '@signalapp/sqlcipher';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { otrNoticeSchema, type OtrEventPayloads, type OtrNotice, type OtrPolicyName, type OtrStatus } from '../../../../src-shared/ipc/otr-contract';
import { generateIdentity, type OtrAccountIdentity } from '../identity';
import { systemRandom } from '../../../../src-shared/node-crypto/dh-engines';
import { OtrStore } from '../otr-store';
import { migrate } from '../../store/migrations';
import { OtrService, type InboundTlv, type OtrWire, type ReceivedMessage, type StartTimers } from '../service';

const dirs: string[] = [];
const dbs: Database[] = [];

/** the identities of alice (A), bob (B) and bob's other key (B2): set by useOtrFixtures */
export const ids = {} as { A: OtrAccountIdentity; B: OtrAccountIdentity; B2: OtrAccountIdentity };

/** makes the identities before the file's tests and removes the databases after them */
export function useOtrFixtures(): void {
  beforeAll(async () => {
    [ids.A, ids.B, ids.B2] = await Promise.all([
      generateIdentity(systemRandom, Date.now()),
      generateIdentity(systemRandom, Date.now()),
      generateIdentity(systemRandom, Date.now()),
    ]);
  }, 120_000);
  afterAll(() => {
    for (const db of dbs.splice(0)) db.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
}

export function openDb(): Database {
  const dir = mkdtempSync(join(tmpdir(), 'otr-service-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'test.db'));
  db.pragma(`key = "x'${randomBytes(32).toString('hex')}'"`);
  migrate(db); // the OTR tables come from the profile database's migrations
  dbs.push(db);
  return db;
}

export interface Side {
  jid: string;
  full: string;
  svc: OtrService;
  /** the device's database: a new side() on it is the same device after a restart */
  db: Database;
  store: OtrStore;
  out: OtrWire[];
  /** every wire body ever sent, for "never in clear" checks */
  wireLog: OtrWire[];
  /** what the user was shown: the text and whether it came privately (shown() below) */
  received: Array<Pick<ReceivedMessage, 'text' | 'encrypted'>>;
  /** the same with the device each came from (otr/device-label.ts) */
  receivedFull: ReceivedMessage[];
  notices: OtrNotice[];
  statuses: OtrStatus[];
  sent: Array<{ id: string; encrypted: boolean }>;
  discarded: string[];
  /** called inside the transport, after the wire was recorded (the moment it leaves) */
  onTransmit?: () => void;
}

export interface SideOptions {
  resource?: string;
  clock?: () => number;
  onPrekeyConsumed?: () => void;
  onTlv?: (tlv: InboundTlv) => void;
  /** the start watch's timers (otr/start-watch.ts), fake ones with a fake clock */
  timers?: StartTimers;
  /** the account's history, for recovery (otr/recovery.ts); absent: the service's defaults */
  unconfirmed?: (peer: string) => Array<{ messageId: string; body: string; resent?: boolean; timestamp?: number }>;
  confirmsReceipts?: (peer: string) => boolean;
  /** both of the above in one read, as the account session answers (otr/recovery.ts outgoing) */
  outgoing?: (peer: string) => { unconfirmed: Array<{ messageId: string; body: string; resent?: boolean; timestamp?: number }>; confirmsReceipts: boolean };
  onResent?: (messageId: string) => void;
}

export function side(jid: string, identity: OtrAccountIdentity, db: Database, policy: OtrPolicyName = 'opportunistic', opts: SideOptions = {}): Side {
  const store = new OtrStore(db);
  const s = {
    jid,
    full: `${jid}/${opts.resource ?? `dev-${jid[0]}`}`,
    db,
    store,
    out: [],
    wireLog: [],
    received: [],
    receivedFull: [],
    notices: [],
    statuses: [],
    sent: [],
    discarded: [],
  } as unknown as Side;
  s.svc = new OtrService({
    accountId: `acct-${jid}`,
    ownJid: jid,
    identity,
    store,
    defaultPolicy: policy,
    transport: (w) => {
      s.out.push(w);
      s.wireLog.push(w);
      s.onTransmit?.();
    },
    emit: <K extends keyof OtrEventPayloads>(name: K, payload: OtrEventPayloads[K]) => {
      // every notice the service raises must match the IPC schema (a code and data, no sentence)
      if (name === 'otr.notice') s.notices.push(otrNoticeSchema.parse(payload) as OtrNotice);
      else s.statuses.push(payload as OtrStatus);
    },
    onQueuedSent: (id, encrypted) => s.sent.push({ id, encrypted }),
    onQueuedDiscarded: (id) => s.discarded.push(id),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.onPrekeyConsumed ? { onPrekeyConsumed: opts.onPrekeyConsumed } : {}),
    ...(opts.onTlv ? { onTlv: opts.onTlv } : {}),
    ...(opts.timers ? { timers: opts.timers } : {}),
    ...(opts.unconfirmed ? { unconfirmed: opts.unconfirmed } : {}),
    ...(opts.confirmsReceipts ? { confirmsReceipts: opts.confirmsReceipts } : {}),
    ...(opts.outgoing ? { outgoing: opts.outgoing } : {}),
    ...(opts.onResent ? { onResent: opts.onResent } : {}),
  });
  return s;
}

/** what the account session does with a message the user wrote */
export function write(s: Side, peer: string, text: string): 'sent' | 'queued' | 'plain' {
  const id = randomUUID();
  if (s.svc.wantsPrivate(peer)) return s.svc.sendPrivate(peer, id, text);
  const w = { to: peer, id, body: s.svc.plaintextWire(peer, text) };
  s.out.push(w);
  s.wireLog.push(w);
  return 'plain';
}

/** the messages as most tests compare them: text and whether it came privately */
export const plain = (list: ReceivedMessage[]): Array<Pick<ReceivedMessage, 'text' | 'encrypted'>> => list.map(({ text, encrypted }) => ({ text, encrypted }));

/** what a side was shown: `received` keeps text and `encrypted`, `receivedFull` the device too */
export function shown(s: Side, list: ReceivedMessage[]): void {
  s.receivedFull.push(...list);
  s.received.push(...plain(list));
}

/** delivers everything `from` has in flight to `to`, in order */
export function deliver(from: Side, to: Side): void {
  for (let w = from.out.shift(); w; w = from.out.shift()) shown(to, to.svc.receive(from.full, w.body));
}

/** delivers everything in flight both ways until quiet */
export function pump(a: Side, b: Side): void {
  for (let i = 0; i < 500; i++) {
    const fromA = a.out.shift();
    if (fromA) {
      shown(b, b.svc.receive(a.full, fromA.body));
      continue;
    }
    const fromB = b.out.shift();
    if (fromB) {
      shown(a, a.svc.receive(b.full, fromB.body));
      continue;
    }
    return;
  }
  throw new Error('did not settle');
}

export const A = 'alice@example.test';
export const B = 'bob@example.test';

export function pair(policyA: OtrPolicyName = 'opportunistic', policyB: OtrPolicyName = 'opportunistic'): [Side, Side] {
  return [side(A, ids.A, openDb(), policyA), side(B, ids.B, openDb(), policyB)];
}

/** alice starts a private conversation with bob and everything is delivered */
export function goPrivate<S extends Side>(a: S, b: S): [S, S] {
  a.svc.start(B);
  pump(a, b);
  return [a, b];
}

export function privatePair(): [Side, Side] {
  return goPrivate(...pair());
}
