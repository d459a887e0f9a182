// Message requests across a restart (issue 13, strangers): on a real SQLCipher profile, a request
// not yet decided and a block made from a request are both there again when the account's
// requests are created anew on the same database, as at the next start of the messenger.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { MessengerEvent } from '../../../src-shared/ipc/contract';
import { openDatabase, type Store } from '../store/store';
import { CoreEvents } from './events';
import { createRequests, REQUEST_MESSAGES_MAX } from './requests';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function profile() {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-requests-'));
  dirs.push(dir);
  const path = join(dir, 'm.db');
  const key = randomBytes(32).toString('hex');
  const store = openDatabase(path, key);
  stores.push(store);
  store.addAccount({ id: 'a1', jid: 'me@x', host: null, port: null, resource: 'r', created_at: 1 });
  return { path, key, store };
}

function requestsOn(store: Store) {
  const events = new CoreEvents();
  const seen: MessengerEvent[] = [];
  events.on((e) => seen.push(e));
  const requests = createRequests({
    accountId: 'a1',
    store,
    events,
    addContact: () => Promise.reject(new Error('not used here')),
    emitContact: () => {},
  });
  return { requests, seen };
}

describe('message requests on disk', () => {
  it('an undecided request and a block are there again after a restart; decided ones are gone', async () => {
    const { path, key, store } = await profile();
    const before = requestsOn(store);
    before.requests.hold('carol@y', 'hello, we met at the fair', 10);
    before.requests.hold('carol@y', 'are you there?', 11);
    before.requests.hold('dave@y', 'buy now', 12);
    before.requests.hold('erin@y', 'hi', 13);
    before.requests.block('dave@y');
    before.requests.ignore('erin@y');
    store.close();
    stores.splice(stores.indexOf(store), 1);

    const reopened = openDatabase(path, key);
    stores.push(reopened);
    const after = requestsOn(reopened);
    expect(after.requests.list()).toEqual([
      {
        accountId: 'a1',
        peer: 'carol@y',
        askedPrivate: false,
        messages: [
          { body: 'hello, we met at the fair', timestamp: 10 },
          { body: 'are you there?', timestamp: 11 },
        ],
      },
    ]);
    // dave is still blocked: his next message is dropped, no request appears
    expect(after.requests.isStranger('dave@y')).toBe(true);
    after.requests.hold('dave@y', 'buy now, again', 14);
    expect(after.seen).toEqual([]);
    expect(after.requests.list().map((r) => r.peer)).toEqual(['carol@y']);
  });

  it('keeps at most REQUEST_MESSAGES_MAX messages of a stranger on disk, the newest', async () => {
    const { path, key, store } = await profile();
    const { requests } = requestsOn(store);
    for (let i = 0; i < REQUEST_MESSAGES_MAX + 5; i++) requests.hold('flood@y', `m${i}`, i);
    store.close();
    stores.splice(stores.indexOf(store), 1);
    const reopened = openDatabase(path, key);
    stores.push(reopened);
    const [r] = requestsOn(reopened).requests.list();
    expect(r?.messages).toHaveLength(REQUEST_MESSAGES_MAX);
    expect(r?.messages[0]?.body).toBe('m5');
  });
});
