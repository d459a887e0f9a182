// The SASL exchange belongs to its connection: a stale exchange never answers a later challenge.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import xml, { type Element } from '@xmpp/xml';
import type Connection from '@xmpp/connection';
import { authenticateOnce, NS_SASL, SaslAbortedError, SaslFailure, type MechanismFactory } from './sasl';

/** a connection stand-in: a socket object that changes on reconnect, and what was sent */
function fakeEntity() {
  const e = new EventEmitter() as EventEmitter & { socket: object | null; options: { domain: string }; sent: Element[]; send(el: Element): Promise<void> };
  e.socket = {};
  e.options = { domain: 'example.org' };
  e.sent = [];
  e.send = async (el) => {
    e.sent.push(el);
  };
  return e;
}

/** a challenge-response mechanism that answers each challenge with its counter */
const factory: MechanismFactory = {
  create: () => {
    let n = 0;
    return { name: 'TEST', clientFirst: true, response: () => `r${n++}`, challenge: () => undefined };
  },
};
const creds = { username: 'u', password: 'p' };
const tick = () => new Promise((r) => setImmediate(r));

describe('authenticateOnce', () => {
  it('a connection that ends mid-exchange aborts it; the next connection gets exactly one response per challenge', async () => {
    const entity = fakeEntity();
    const first = authenticateOnce(entity as unknown as Connection, factory, 'TEST', creds);
    await tick();
    entity.socket = null;
    entity.emit('status', 'disconnect');
    await expect(first).rejects.toBeInstanceOf(SaslAbortedError);

    entity.socket = {};
    entity.sent.length = 0;
    const second = authenticateOnce(entity as unknown as Connection, factory, 'TEST', creds);
    await tick();
    entity.emit('nonza', xml('challenge', { xmlns: NS_SASL }, Buffer.from('c').toString('base64')));
    await tick();
    expect(entity.sent.map((el) => el.name)).toEqual(['auth', 'response']);
    entity.emit('nonza', xml('success', { xmlns: NS_SASL }));
    await expect(second).resolves.toBeUndefined();
    // finished: it no longer listens
    expect(entity.listenerCount('nonza')).toBe(0);
    expect(entity.listenerCount('status')).toBe(0);
  });

  it('a <failure/> rejects with its condition and without the server text', async () => {
    const entity = fakeEntity();
    const p = authenticateOnce(entity as unknown as Connection, factory, 'TEST', creds);
    await tick();
    entity.emit('nonza', xml('failure', { xmlns: NS_SASL }, xml('not-authorized'), xml('text', {}, 'password p is wrong')));
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SaslFailure);
    expect((e as SaslFailure).condition).toBe('not-authorized');
    expect(String((e as Error).message)).not.toContain('password p');
  });
});
