// The outbox (outbox.ts) on a real SQLCipher store, with a stand-in for the xmpp.js client's
// write side (the socket): what is written, when a message becomes 'sent', and the re-check
// point at flush time.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage, MessengerEvent } from '../../../src-shared/ipc/contract';
import { openDatabase, type Store } from '../store/store';
import type { XmppClient } from '../xmpp/client/client';
import { CoreEvents } from './events';
import { Outbox, type OutboxDeps } from './outbox';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** the write side of a client: records stanzas, or refuses them while `broken` */
function wire(withStreamManagement: boolean) {
  const written: Element[] = [];
  const sm = Object.assign(new EventEmitter(), { enabled: withStreamManagement });
  const state = { broken: false };
  const client = {
    entity: {
      status: 'online',
      send: async (el: Element) => {
        if (state.broken) throw new Error('socket closed');
        written.push(el);
      },
    },
    streamManagement: sm,
  } as unknown as XmppClient;
  return { client, written, sm, state };
}

async function outbox(client: XmppClient, extra: Partial<OutboxDeps> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'messenger-outbox-'));
  dirs.push(dir);
  const store = openDatabase(join(dir, 'm.db'), randomBytes(32).toString('hex'));
  stores.push(store);
  store.addAccount({ id: 'a1', jid: 'me@x.example', host: null, port: null, resource: 'r', created_at: 1 });
  const events = new CoreEvents();
  const seen: MessengerEvent[] = [];
  events.on((e) => seen.push(e));
  const box = new Outbox({
    accountId: 'a1',
    store,
    events,
    online: () => client,
    isCurrent: (c) => c === client,
    wantsPrivate: async () => false,
    sendPrivate: async () => 'sent',
    plaintextWire: async (_peer, body) => `${body}[tag]`,
    ...extra,
  });
  box.attach(client);
  const updates = () => seen.filter((e) => e.name === 'message.updated').map((e) => (e.payload as ChatMessage).delivery);
  return { box, store, updates };
}

const bodyOf = (el: Element | undefined) => el?.getChildText('body');

describe('outbox', () => {
  it('stores first, writes the plaintext as OTR wants it on the wire, and without XEP-0198 counts the write as sent', async () => {
    const w = wire(false);
    const { box, store } = await outbox(w.client);
    const m = await box.send('you@x.example', 'hello');
    expect(bodyOf(w.written[0])).toBe('hello[tag]');
    expect(w.written[0]?.attrs.id).toBe(m.id);
    expect(store.message(m.id)?.delivery).toBe('sent');
  });

  it('with XEP-0198 the message is sent on the ack, and a failed write leaves it pending for the next flush', async () => {
    const w = wire(true);
    const { box, store, updates } = await outbox(w.client);
    w.state.broken = true;
    const m = await box.send('you@x.example', 'first');
    expect(store.message(m.id)?.delivery).toBe('pending');
    w.state.broken = false;
    await box.flush(w.client);
    expect(store.message(m.id)?.delivery).toBe('pending'); // written, not yet acked
    w.sm.emit('ack', w.written[0]);
    expect(store.message(m.id)?.delivery).toBe('sent');
    expect(updates()).toEqual(['sent']);
    // the ack of a stanza not in flight changes nothing
    w.sm.emit('ack', w.written[0]);
    expect(updates()).toEqual(['sent']);
  });

  it("the re-check point at flush time: 'hold' keeps a message pending and unwritten until it says 'send'", async () => {
    const w = wire(false);
    let verdict: 'send' | 'hold' = 'hold';
    const asked: string[] = [];
    const { box, store } = await outbox(w.client, {
      recheck: (m) => {
        asked.push(m.body);
        return verdict;
      },
    });
    const m = await box.send('you@x.example', 'held');
    expect(asked).toEqual(['held']);
    expect(w.written).toEqual([]);
    expect(store.message(m.id)?.delivery).toBe('pending');
    verdict = 'send';
    await box.flush(w.client);
    expect(bodyOf(w.written[0])).toBe('held[tag]');
    expect(store.message(m.id)?.delivery).toBe('sent');
  });
});
