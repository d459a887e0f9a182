// The group tables: a state round-trips with its byte arrays (session keys, bundles), state and
// timeline are committed together, a message stored twice is kept once, and pages are in order.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { newGroupState } from '../../../src-shared/groups/client-state';
import { seededRandom, testIdentity } from '../../../src-shared/groups/test-support/harness';
import { openDatabase, type Store } from '../store/store';
import { deserializeState, GroupStore, serializeState } from './store';

let dir = '';
let db: Store | null = null;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('keeps state and timeline together, each message once', () => {
  dir = mkdtempSync(join(tmpdir(), 'groups-store-'));
  db = openDatabase(join(dir, 'messenger.db'), randomBytes(32).toString('hex'));
  const store = new GroupStore(db.database);
  const me = testIdentity('alice');
  const s = newGroupState({ group: 'g-1', address: 'g-1@groups.example', me, name: 'Alice', create: true, random: seededRandom('s') });
  expect(deserializeState(serializeState(s))).toEqual(s);
  const row = { sender: me.fingerprint, body: 'hi', sentAt: 5, receivedAt: 6, epoch: 1, ctr: 0 };
  expect(store.commit('acct', s, [row], 10)).toHaveLength(1);
  expect(store.commit('acct', s, [row, { ...row, ctr: 1, body: 'again' }], 11).map((e) => e.body)).toEqual(['again']);
  expect(store.state('acct', 'g-1@groups.example')?.keys[1]).toEqual(s.keys[1]);
  expect(store.timeline('acct', 'g-1@groups.example', 10).map((e) => e.body)).toEqual(['hi', 'again']);
  const [first] = store.timeline('acct', 'g-1@groups.example', 1);
  expect(first?.body).toBe('again');
  expect(store.timeline('acct', 'g-1@groups.example', 10, first!.id).map((e) => e.body)).toEqual(['hi']);
  store.removeAccount('acct');
  expect(store.states('acct')).toEqual([]);
});
