// XEP-0085 rules of account/chat-states.ts, with a fake client (the wire itself is covered by
// everyday.integration.test.ts on a real Prosody): only to contacts who support chat states (§5.1),
// only changes, never to strangers or offline contacts, and a hostile sender cannot make us show
// anything for someone who is not a contact.
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { XmppClient } from '../xmpp/client/client';
import { ChatStates, chatStateStanza, NS_CHATSTATES, parseChatState } from './chat-states';
import { CoreEvents } from './events';

function setup(opts: { contacts: string[]; features: string[]; online?: string[] }) {
  const sent: Element[] = [];
  const discoAsked: string[] = [];
  const client = {
    entity: { send: async (el: Element) => void sent.push(el) },
    iqCaller: {
      get: async (_q: Element, to: string) => {
        discoAsked.push(to);
        return xml('query', {}, ...opts.features.map((f) => xml('feature', { var: f })));
      },
    },
  } as unknown as XmppClient;
  const events = new CoreEvents();
  const heard: Array<{ peer: string; state: string }> = [];
  events.on((e) => {
    if (e.name === 'chatState.changed') heard.push(e.payload as { peer: string; state: string });
  });
  const cs = new ChatStates({
    accountId: 'acc',
    jid: 'me@x.example',
    events,
    online: () => client,
    resources: (peer) => (opts.online ?? opts.contacts).filter((p) => p === peer).map((p) => `${p}/dev`),
    isContact: (peer) => opts.contacts.includes(peer),
  });
  return { cs, sent, discoAsked, heard };
}

describe('chat states (XEP-0085)', () => {
  it('parses exactly one known state; a standalone notification has no body and a no-store hint', () => {
    const el = chatStateStanza('bob@x.example', 'composing');
    expect(parseChatState(el)).toBe('composing');
    expect(el.getChild('body')).toBeUndefined();
    expect(el.getChild('no-store', 'urn:xmpp:hints')).toBeDefined();
    expect(parseChatState(xml('message', {}, xml('shouting', { xmlns: NS_CHATSTATES })))).toBeNull();
    expect(parseChatState(xml('message', {}, xml('active', { xmlns: NS_CHATSTATES }), xml('gone', { xmlns: NS_CHATSTATES })))).toBeNull();
  });

  it('sends only changes, and only to a contact whose device lists the feature', async () => {
    const t = setup({ contacts: ['bob@x.example', 'eve@x.example'], features: [NS_CHATSTATES] });
    await t.cs.set('bob@x.example', 'composing');
    await t.cs.set('bob@x.example', 'composing');
    await t.cs.sent('bob@x.example');
    expect(t.sent.map((e) => e.children.map((c) => (c as Element).name)[0])).toEqual(['composing', 'active']);
    expect(t.discoAsked).toEqual(['bob@x.example/dev']);
    // 'gone' without anything said before says nothing
    await t.cs.set('eve@x.example', 'gone');
    expect(t.sent).toHaveLength(2);
    t.cs.reset();
  });

  it('nothing to strangers, to offline contacts or to contacts without support', async () => {
    const t = setup({ contacts: ['bob@x.example', 'off@x.example'], online: ['bob@x.example'], features: ['urn:xmpp:receipts'] });
    await t.cs.set('stranger@x.example', 'composing');
    await t.cs.set('off@x.example', 'composing');
    await t.cs.set('bob@x.example', 'composing');
    expect(t.sent).toHaveLength(0);
    // once bob sends a state himself, he supports them (§5.1)
    expect(t.cs.onMessage(xml('message', { from: 'bob@x.example/dev', type: 'chat' }, xml('composing', { xmlns: NS_CHATSTATES })))).toBe(true);
    await t.cs.set('bob@x.example', 'paused');
    await t.cs.set('bob@x.example', 'composing');
    expect(t.sent.map((e) => (e.children[0] as Element).name)).toEqual(['composing']);
    t.cs.reset();
  });

  it("shows what contacts say; a stranger's state is dropped; a message ends their composing", () => {
    const t = setup({ contacts: ['bob@x.example'], features: [] });
    t.cs.onMessage(xml('message', { from: 'mallory@x.example/a', type: 'chat' }, xml('composing', { xmlns: NS_CHATSTATES })));
    t.cs.onMessage(xml('message', { from: 'bob@x.example/a', type: 'chat' }, xml('composing', { xmlns: NS_CHATSTATES })));
    expect(t.cs.onMessage(xml('message', { from: 'bob@x.example/a', type: 'chat' }, xml('body', {}, 'hi')))).toBe(false);
    t.cs.onMessage(xml('message', { from: 'bob@x.example/a', type: 'groupchat' }, xml('composing', { xmlns: NS_CHATSTATES })));
    expect(t.heard).toEqual([
      { accountId: 'acc', peer: 'bob@x.example', state: 'composing' },
      { accountId: 'acc', peer: 'bob@x.example', state: 'active' },
    ]);
  });
});
