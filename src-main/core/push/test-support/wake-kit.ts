// Two cores for the wake-up integration tests (wake*.integration.test.ts): the file's frame (one
// two-domain stack with its push servers, started before the first test, every core closed and
// removed after the last), users on domain a's Prosody of that stack, each with a push account on
// push.a or push.b, and the steps the tests share (a private session, both approving, knocks sent
// with a user's push login).
import { afterAll, beforeAll, expect } from 'vitest';
import { startTwoDomains, type TwoDomainStack } from '../../../../scripts/stack/two-domains';
import { PushClient } from '../../../../src-shared/node-push/client';
import type { EventName, EventPayloads } from '../../../../src-shared/ipc/contract';
import type { KnockEnvelope } from '../../../../src-shared/push/wire';
import { openKeyStore } from '../../keychain/keychain';
import { closeAndRemove, makeContacts, startCore, uniqueName, type TestCore, type TestUser } from '../../test-support/harness';
import { pushTestHooks, type PushTestHooks } from '../app-wiring';
import { pushTokenEntry } from '../push-account';
import type { PushEvent } from '../service';

export interface User extends TestUser {
  hooks: PushTestHooks;
  pushEvents: PushEvent[];
  endpoint: string;
}

/** registers the file's beforeAll/afterAll and returns the steps; call once at the top of a test file */
export function wakeKit() {
  let started: TwoDomainStack | undefined;
  /** cores closed and removed after the file; push every core the file starts */
  const cores: TestCore[] = [];
  beforeAll(async () => {
    started = await startTwoDomains({ push: true });
  }, 120_000);
  afterAll(async () => {
    await closeAndRemove(cores);
    await started?.stop();
  });
  const env = {
    stack(): TwoDomainStack {
      if (!started) throw new Error('the stack starts in beforeAll');
      return started;
    },
    cores,
  };

  /** a user on domain a's Prosody, with a push account on `push` */
  async function user(prefix: string, push: 'a' | 'b'): Promise<User> {
    const name = uniqueName(prefix);
    await env.stack().a.createAccount(name, 'xmpp-pw');
    const c = await startCore({ extraCaPem: env.stack().caPem });
    env.cores.push(c);
    const jid = `${name}@${env.stack().a.domain}`;
    const info = await c.core.handlers['account.add']({ jid, password: 'xmpp-pw', host: env.stack().a.host, port: env.stack().a.port });
    const hooks = pushTestHooks.get(c.core)!;
    const pushEvents: PushEvent[] = [];
    hooks.onPushEvent((e) => pushEvents.push(e));
    const endpoint = env.stack()[push].push!.endpoint;
    await c.core.handlers['push.settings.set']({ accountId: info.id, apiEndpoint: endpoint, pushName: uniqueName('p'), password: 'push-pw', create: true });
    await c.waitFor('push.status', (s) => s.accountId === info.id && s.status === 'connected');
    return { c, accountId: info.id, jid, hooks, pushEvents, endpoint };
  }

  /** resolves on the first push event (seen already or to come) that matches */
  function pushEvent(u: User, match: (e: PushEvent) => boolean): Promise<PushEvent> {
    const seen = u.pushEvents.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const off = u.hooks.onPushEvent((e) => {
        if (match(e)) {
          off();
          resolve(e);
        }
      });
    });
  }

  /** waits for an event emitted from now on (waitFor also looks at the ones seen before) */
  function next<K extends EventName>(c: TestCore, name: K, match: (p: EventPayloads[K]) => boolean): Promise<EventPayloads[K]> {
    const mark = c.events.length;
    return c.waitFor(name, (p) => c.events.slice(mark).some((e) => e.payload === p) && match(p));
  }

  const privateWith = (peer: string) => (s: { peer: string; state: string }) => s.peer === peer && s.state.startsWith('private');

  /** contacts with a private session, each asked once */
  async function privatePair(start?: (a: User, b: User) => Promise<void>): Promise<[User, User]> {
    const [a, b] = await Promise.all([user('alice', 'a'), user('bob', 'b')]);
    await makeContacts(a, b);
    const asked = Promise.all([
      a.c.waitFor('push.prompt', (p) => p.peer === b.jid && p.reason === 'ask'),
      b.c.waitFor('push.prompt', (p) => p.peer === a.jid && p.reason === 'ask'),
    ]);
    if (start) await start(a, b);
    else await a.c.core.handlers['otr.start']({ accountId: a.accountId, peer: b.jid });
    await Promise.all([a.c.waitFor('otr.status', privateWith(b.jid)), b.c.waitFor('otr.status', privateWith(a.jid))]);
    await asked;
    return [a, b];
  }

  const record = (u: User, peer: string) => u.hooks.push.store.record(u.accountId, peer);

  async function approvedPair(start?: (a: User, b: User) => Promise<void>): Promise<[User, User]> {
    const [a, b] = await privatePair(start);
    const theirOffer = b.c.waitFor('push.prompt', (p) => p.peer === a.jid && p.reason === 'their-offer');
    expect(await a.c.core.handlers['push.handshake.approve']({ accountId: a.accountId, peer: b.jid })).toMatchObject({ state: 'offered' });
    await theirOffer;
    const stored = Promise.all([
      a.c.waitFor('push.notice', (n) => n.peer === b.jid && n.kind === 'record-stored'),
      b.c.waitFor('push.notice', (n) => n.peer === a.jid && n.kind === 'record-stored'),
    ]);
    await b.c.core.handlers['push.handshake.approve']({ accountId: b.accountId, peer: a.jid });
    await stored;
    return [a, b];
  }

  /** sends a knock as Alice's core would, with her push login (the server checks the sender) */
  async function sendKnock(a: User, knock: KnockEnvelope): Promise<void> {
    const token = await openKeyStore(a.c.keychainService).get(pushTokenEntry(a.accountId));
    const client = new PushClient({ endpoint: a.endpoint, ca: env.stack().caPem, token: token! });
    try {
      await client.sendKnock(knock);
    } finally {
      client.close();
    }
  }

  return {
    /** the file's stack (once its beforeAll ran) */
    get stack(): TwoDomainStack {
      return env.stack();
    },
    cores,
    user,
    pushEvent,
    next,
    privateWith,
    privatePair,
    record,
    approvedPair,
    sendKnock,
  };
}

export type WakeKit = ReturnType<typeof wakeKit>;
