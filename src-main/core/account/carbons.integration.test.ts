// Issue 13, "our own other devices' sent copies (carbons) that cannot be read here are shown as
// such, never as empty or garbled messages", against a real Prosody (mod_carbons): another
// client on alice's account (a raw XMPP client here, as a phone with another OTR client would
// be) writes to bob; alice's messenger gets the XEP-0280 sent copies.
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src-shared/ipc/contract';
import { createClient, type XmppClient } from '../xmpp/client/client';
import { makeContacts } from '../test-support/harness';
import { stackPerFile } from '../test-support/stack-per-file';

const raw: XmppClient[] = [];
const file = stackPerFile(async () => {
  for (const r of raw) await r.entity.stop().catch(() => {});
});

/** base64 of an OTR header: protocol version 4 and the message type, then filler */
const otrV4 = (type: number) => `?OTR:${Buffer.from([0, 4, type, 1, 2, 3, 4, 5, 6]).toString('base64')}.`;

describe('copies of what our other devices sent (XEP-0280)', () => {
  it('a private message from another device is shown as such; its key exchange is not shown; plaintext is', async () => {
    const alice = await file.user('alice');
    const bob = await file.user('bob');
    await makeContacts(alice, bob);

    const phone = createClient({
      domain: file.stack.domain,
      host: file.stack.host,
      port: file.stack.port,
      extraCaPem: file.stack.caPem,
      credentials: { username: alice.jid.split('@')[0]!, password: alice.password },
    });
    raw.push(phone);
    await phone.entity.start();
    await phone.entity.send(xml('presence', {}));
    const write = (body: string) => phone.entity.send(xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, body)));

    await write(otrV4(0x35)); // an Identity message (the phone's key exchange with bob)
    await write(otrV4(0x03)); // a data message: private text only the phone can read
    await write('plain words from the phone');

    const plain = await alice.c.waitFor('message.added', (m) => m.body === 'plain words from the phone');
    expect(plain).toMatchObject({ direction: 'out', encrypted: false, peer: bob.jid });
    const added = alice.c.events.filter((e) => e.name === 'message.added').map((e) => e.payload as ChatMessage);
    // in the order sent: the key exchange left out, the private message as a placeholder
    expect(added.map((m) => ({ body: m.body, encrypted: m.encrypted, elsewhere: m.elsewhere === true }))).toEqual([
      { body: '', encrypted: true, elsewhere: true },
      { body: 'plain words from the phone', encrypted: false, elsewhere: false },
    ]);
    // and so it is stored: the history after a reload says the same
    const page = await alice.c.core.handlers['messages.page']({ accountId: alice.accountId, peer: bob.jid, limit: 10 });
    expect(page.map((m) => m.elsewhere === true)).toEqual([true, false]);
    expect(page.some((m) => m.body.includes('?OTR'))).toBe(false);
  });
});
