// v4 <-> v3 fallback against libotr 4.1.1 (the C library of Pidgin and Profanity): our
// negotiating conversation (OTRv4 + OTRv3) meets a client that only speaks OTRv3 and must end up
// in an OTRv3 session, whoever starts. The libotr peer is the v3 helper's otr3-peer.c.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPPORTUNISTIC_POLICY, type EngineOutput, type OtrEvent } from './api';
import { NegotiatingConversation } from './conversation';
import { fixtureKey, nativeDh1536Engine } from './v3/test-support/keys';
import { LibotrPeer, type PeerEvent } from './v3/test-support/libotr-peer';
import { nativeDh3072Engine } from './v4/test-support/engines';
import { makeParty } from './v4/test-support/parties';

const rng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const peers: LibotrPeer[] = [];

function ours(): NegotiatingConversation {
  const party = makeParty('ts@test', 'peer@test', rng, nativeDh3072Engine(), () => Date.now());
  return new NegotiatingConversation({
    policy: OPPORTUNISTIC_POLICY,
    v3: { identity: { instanceTag: party.identity.instanceTag, dsaKey: fixtureKey(0) }, rng, clock: () => Date.now(), engine: nativeDh1536Engine() },
    v4: { identity: party.identity, random: rng, clock: () => Date.now(), dh: nativeDh3072Engine(), ourId: 'ts@test', theirId: 'peer@test' },
  });
}

class Link {
  readonly events: OtrEvent[] = [];
  private toPeer: string[] = [];
  private toUs: string[] = [];
  constructor(
    readonly conv: NegotiatingConversation,
    readonly peer: LibotrPeer,
  ) {}
  we(out: EngineOutput): Promise<void> {
    this.events.push(...out.events);
    this.toPeer.push(...out.toSend);
    return this.settle();
  }
  async they(ev: Promise<PeerEvent[]>): Promise<void> {
    for (const e of await ev) if (e.kind === 'OUT') this.toUs.push(e.text);
    return this.settle();
  }
  private async settle(): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (this.toPeer.length) {
        for (const e of await this.peer.recv(this.toPeer.shift()!)) if (e.kind === 'OUT') this.toUs.push(e.text);
      } else if (this.toUs.length) {
        const out = this.conv.receive(this.toUs.shift()!);
        this.events.push(...out.events);
        this.toPeer.push(...out.toSend);
      } else return;
    }
    throw new Error('did not settle');
  }
}

async function link(policy?: number): Promise<Link> {
  const p = await LibotrPeer.start(policy !== undefined ? { policy } : {});
  peers.push(p);
  return new Link(ours(), p);
}

/** Profanity 0.13.1 gives libotr OTRL_POLICY_ALLOW_V1 | OTRL_POLICY_ALLOW_V2 and starts with this text */
const PROFANITY_POLICY = 0x03;
const PROFANITY_QUERY = '?OTR?v2? This user has requested an Off-the-Record private conversation.';

beforeAll(async () => {
  (await LibotrPeer.start()).close();
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

describe('OTRv4 library falls back to OTRv3 with libotr', () => {
  it('we start (query offering 4 and 3): libotr answers in v3 and both sides are encrypted', async () => {
    const l = await link();
    await l.we(l.conv.start());
    expect(l.conv.sessions().find((s) => s.state === 'encrypted')).toMatchObject({ version: 3, instanceTag: l.peer.instanceTag });
    expect(l.peer.events.some((e) => e.kind === 'GONE_SECURE')).toBe(true);
    await l.we(l.conv.send('hello libotr'));
    expect(l.peer.events).toContainEqual({ kind: 'MSG', text: 'hello libotr' });
    await l.they(l.peer.send('hello ts'));
    expect(l.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'hello ts', encrypted: true }));
  });

  it('libotr starts (its query): we pick v3', async () => {
    const l = await link();
    await l.they(l.peer.query());
    expect(l.conv.sessions().find((s) => s.state === 'encrypted')?.version).toBe(3);
    await l.they(l.peer.send('from pidgin'));
    expect(l.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'from pidgin', encrypted: true }));
  });

  it('our whitespace-tagged plaintext makes libotr start a v3 AKE', async () => {
    const l = await link();
    await l.we(l.conv.send('plain hello'));
    expect(l.peer.events).toContainEqual({ kind: 'MSG', text: 'plain hello' });
    expect(l.conv.sessions().find((s) => s.state === 'encrypted')?.version).toBe(3);
  });
});

describe('the full negotiation (v4, v3, v2) with libotr under Profanity’s policy', () => {
  it('we start (?OTRv432?): libotr answers in version 2; messages both ways', async () => {
    const l = await link(PROFANITY_POLICY);
    const q = l.conv.start();
    expect(q.toSend).toEqual(['?OTRv432?']);
    await l.we(q);
    expect(l.conv.sessions().find((s) => s.state === 'encrypted')).toMatchObject({ version: 2, instanceTag: 0 });
    expect(l.events).toContainEqual(expect.objectContaining({ type: 'state-changed', state: 'encrypted', version: 2 }));
    await l.we(l.conv.send('hi profanity'));
    expect(l.peer.events).toContainEqual({ kind: 'MSG', text: 'hi profanity' });
    await l.they(l.peer.send('hi messenger'));
    expect(l.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'hi messenger', encrypted: true }));
  });

  it('Profanity’s query: we answer in version 2', async () => {
    const l = await link(PROFANITY_POLICY);
    await l.they(Promise.resolve([{ kind: 'OUT', text: PROFANITY_QUERY }]));
    expect(l.conv.sessions().find((s) => s.state === 'encrypted')?.version).toBe(2);
    expect((await l.peer.info())?.msgstate).toBe(1);
  });
});
