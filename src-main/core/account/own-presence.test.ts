// One's own presence survives a restart (issue 15): what was set is read back by the next run's
// OwnPresence from the same (reopened) profile database and announced as the initial presence.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Store } from '../store/store';
import { CoreEvents } from './events';
import { OwnPresence, savedPresence } from './own-presence';
import { OWN_CAPS_VER } from '../xmpp/disco/disco';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function profile(): Promise<{ path: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-own-presence-'));
  dirs.push(dir);
  return { path: join(dir, 'm.db'), key: randomBytes(32).toString('hex') };
}

const offline = () => null;

describe('own presence across restarts', () => {
  it('starts available with no message, and comes back as the user left it after reopening', async () => {
    const { path, key } = await profile();
    const first = openDatabase(path, key);
    first.addAccount({ id: 'a1', jid: 'me@x', host: null, port: null, resource: 'r', created_at: 1 });
    const p = new OwnPresence({ accountId: 'a1', events: new CoreEvents(), online: offline, db: first.database });
    expect(p.current()).toEqual({ accountId: 'a1', show: 'online', status: '' });
    await p.set('away', 'at lunch');
    first.close();

    const again = openDatabase(path, key);
    stores.push(again);
    const next = new OwnPresence({ accountId: 'a1', events: new CoreEvents(), online: offline, db: again.database });
    expect(next.current()).toEqual({ accountId: 'a1', show: 'away', status: 'at lunch' });
    const stanza = next.stanza();
    expect(stanza.getChildText('show')).toBe('away');
    expect(stanza.getChildText('status')).toBe('at lunch');
    // and our capabilities, as every presence carries them (XEP-0115)
    expect(stanza.getChild('c', 'http://jabber.org/protocol/caps')?.attrs.ver).toBe(OWN_CAPS_VER);
  });

  it('reads an unknown stored show as available, and an account it does not know as the default', async () => {
    const { path, key } = await profile();
    const s = openDatabase(path, key);
    stores.push(s);
    s.addAccount({ id: 'a1', jid: 'me@x', host: null, port: null, resource: 'r', created_at: 1 });
    s.database.prepare("UPDATE accounts SET own_show = 'chat-with-everyone', own_status = ? WHERE id = 'a1'").run(['x'.repeat(600)]);
    const read = savedPresence(s.database, 'a1');
    expect(read.show).toBe('online');
    expect(read.status).toHaveLength(500);
    expect(savedPresence(s.database, 'nobody')).toEqual({ show: 'online', status: '' });
  });
});
