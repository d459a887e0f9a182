// The prekey server's retrieval budget per TARGET (issue 12, finding 10: a requester limit alone
// lets many requesters, or one with many JIDs, drain an offline contact's prekey messages) and
// its refusal of lone UTF-16 surrogates (finding 9), on the real protocol engine and SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEdKeyPair } from '../../src-shared/otr/v4/keys';
import { encodeBody } from '../../src-shared/prekey/framing';
import { encodeMessage } from '../../src-shared/prekey/messages';
import { nativeDh3072Engine } from '../../src-shared/node-crypto/dh-engines';
import { random } from '../../src-shared/prekey/test-support/device';
import { PrekeyServerProtocol, type ProtocolLimits, type ServerEvent } from './protocol';
import { SqlitePrekeyStorage } from './storage';

const query = (identity: string) => encodeBody(encodeMessage({ type: 'ensemble-query', version: 4, senderInstanceTag: 0x999, identity, versions: '4' }));

describe('prekey retrieval limits', () => {
  let dir: string;
  let storage: SqlitePrekeyStorage;
  let now: number;
  let events: ServerEvent[];

  function makeServer(limits: Partial<ProtocolLimits> = {}): PrekeyServerProtocol {
    return new PrekeyServerProtocol({
      serverJid: 'prekeys.example.org',
      keyPair: generateEdKeyPair(random),
      storage,
      random,
      clock: () => now,
      engine: nativeDh3072Engine(),
      limits,
      onEvent: (e) => events.push(e),
    });
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prekey-limits-'));
    storage = new SqlitePrekeyStorage(join(dir, 'db.sqlite'));
    now = Date.now();
    events = [];
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('limits retrievals of one target whoever asks; other targets are not affected; the budget refills', async () => {
    const server = makeServer({ retrievalsPerMinute: 100, retrievalsPerTargetPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect(await server.handle(`mallory${i}@example.org/x`, query('alice@example.org'))).toHaveLength(1);
    // a fourth requester, fresh itself, is refused: alice's budget is spent
    expect(await server.handle('mallory9@example.org/x', query('Alice@example.org/phone'))).toEqual([
      { error: 'policy-violation', text: expect.stringContaining('this contact') },
    ]);
    expect(events.at(-1)).toEqual({ type: 'rate-limited', requester: 'mallory9@example.org', what: 'target' });
    const [other] = await server.handle('mallory9@example.org/x', query('bob@example.org'));
    expect(other).toHaveProperty('body');
    now += 60_000;
    expect((await server.handle('mallory9@example.org/x', query('alice@example.org')))[0]).toHaveProperty('body');
  });

  it('refuses a lone surrogate in the sender or the body with not-acceptable', async () => {
    const server = makeServer();
    expect(await server.handle('mal\ud800@example.org/x', query('alice@example.org'))).toEqual([
      { error: 'not-acceptable', text: expect.stringContaining('UTF-16') },
    ]);
    expect(await server.handle('mallory@example.org/x', `${query('alice@example.org')}\udc00`)).toEqual([
      { error: 'not-acceptable', text: expect.stringContaining('UTF-16') },
    ]);
    expect(events).toEqual([]);
  });
});
