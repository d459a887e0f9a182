// The parts of our xmpp.js composition that guard the process: stanzas with malformed addresses
// are dropped before xmpp.js parses them (it would throw from an event listener), and the
// XEP-0198 'h' counter counts in parse order from <enabled/>.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { createClient } from './client';

function client() {
  const c = createClient({ domain: 'example.org', credentials: { username: 'u', password: 'p' } });
  const seen: string[] = [];
  c.middleware.use((ctx, next) => {
    seen.push(ctx.stanza.attrs.id ?? '');
    return next();
  });
  return { c, seen };
}

describe('SafeClient', () => {
  it('drops stanzas with malformed from/to instead of throwing', () => {
    const { c, seen } = client();
    for (const from of ['a@', '@', '/r', 'a@b/', 'x y@z']) {
      expect(() => c.entity._onElement(xml('message', { from, id: `bad:${from}` }, xml('body', {}, 'x')))).not.toThrow();
    }
    expect(() => c.entity._onElement(xml('iq', { to: 'a@', type: 'get', id: 'bad-to' }))).not.toThrow();
    c.entity._onElement(xml('message', { from: 'a@example.org/r', id: 'good' }, xml('body', {}, 'x')));
    expect(seen).toEqual(['good']);
  });

  it('counts XEP-0198 h from <enabled/>, dropped stanzas included', () => {
    const { c } = client();
    const sm = c.streamManagement!;
    c.entity._onElement(xml('presence', { from: 'a@example.org/r', id: 'before' }));
    c.entity._onElement(xml('enabled', { xmlns: 'urn:xmpp:sm:3', id: 'x', resume: 'true' }));
    expect(sm.inbound).toBe(0);
    c.entity._onElement(xml('presence', { from: 'a@example.org/r' }));
    c.entity._onElement(xml('message', { from: 'a@' }));
    c.entity._onElement(xml('r', { xmlns: 'urn:xmpp:sm:3' }));
    expect(sm.inbound).toBe(2);
    sm.inbound = 0; // xmpp.js' own writes are ignored
    expect(sm.inbound).toBe(2);
  });

  it('a stream opening that fails leaves no unhandled rejection when an error follows', async () => {
    const { c } = client();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // the socket is a fake: connected, then gone before the stream header could be written
      c.entity.connect = async () => undefined;
      c.entity.open = async () => {
        throw Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      };
      await expect(c.entity.start()).rejects.toThrow('write after end');
      c.entity.emit('error', new Error('write after end'));
      // unhandled rejections are reported after the microtask queue drains: one macrotask later
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an IQ error reply that arrives before the request was written rejects the request only, not the process', async () => {
    const { c } = client();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // the socket is a fake: the reply is read before the write's callback comes
      c.entity.send = (stanza) => {
        const reply = xml(
          'iq',
          { type: 'error', id: stanza.attrs.id, from: 'prekeys.example.org' },
          xml('error', { type: 'wait' }, xml('remote-server-timeout', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
        );
        c.entity._onElement(reply);
        return new Promise<void>((resolve) => setTimeout(resolve, 5));
      };
      const request = c.iqCaller.request(
        xml('iq', { type: 'get', to: 'prekeys.example.org' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })),
      );
      await expect(request).rejects.toMatchObject({ condition: 'remote-server-timeout' });
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('an old socket that closes after a new one was attached leaves the new connection alone', () => {
    const { c } = client();
    // the sockets are fakes: only their events matter here
    const first = new EventEmitter();
    const second = new EventEmitter();
    const statuses: string[] = [];
    c.entity.on('status', (s: string) => statuses.push(s));
    c.entity._attachSocket(first);
    c.entity._attachSocket(second); // a reconnect attempt while the first is still attached
    expect(first.listenerCount('close')).toBe(0);
    first.emit('close'); // the old socket's late close
    expect(c.entity.socket).toBe(second);
    expect(statuses).not.toContain('disconnect');
    second.emit('close'); // the current socket's close still counts
    expect(statuses).toContain('disconnect');
  });
});
