// Two (or more) V3Conversations wired back to back for unit tests: a pump that delivers what each
// side sends to the other(s) until nothing is left, collecting the events per side.
import type { EngineOutput, OtrEvent, OtrPolicy } from '../../api';
import { OPPORTUNISTIC_POLICY } from '../../api';
import { V3Conversation } from '../conversation';
import { fixtureKey, nativeDh1536Engine, seededRng } from './keys';

export interface Peer {
  name: string;
  conv: V3Conversation;
  events: OtrEvent[];
  inbox: string[];
  now: { t: number };
}

export function makePeer(name: string, keyIndex: number, instanceTag: number, opts: { policy?: Partial<OtrPolicy>; maxMessageSize?: number } = {}): Peer {
  const now = { t: 1_000_000 };
  const conv = new V3Conversation({
    identity: { instanceTag, dsaKey: fixtureKey(keyIndex) },
    rng: seededRng(`${name}-${instanceTag}`),
    clock: () => now.t,
    engine: nativeDh1536Engine(),
    policy: { ...OPPORTUNISTIC_POLICY, allowV4: false, ...opts.policy },
    ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}),
  });
  return { name, conv, events: [], inbox: [], now };
}

/** delivers `out.toSend` from `from` to every peer in `to`, and records `out.events` on `from` */
export function post(from: Peer, out: EngineOutput, to: Peer[]): void {
  from.events.push(...out.events);
  for (const m of out.toSend) for (const p of to) p.inbox.push(m);
}

/** runs until every inbox is empty; `links` says who hears whom */
export function pump(peers: Peer[], links: Map<Peer, Peer[]>, maxSteps = 500): void {
  for (let step = 0; step < maxSteps; step++) {
    const p = peers.find((x) => x.inbox.length > 0);
    if (!p) return;
    const msg = p.inbox.shift()!;
    post(p, p.conv.receive(msg), links.get(p) ?? []);
  }
  throw new Error('pump did not settle');
}

export function twoPeers(opts: { maxMessageSize?: number; policyA?: Partial<OtrPolicy>; policyB?: Partial<OtrPolicy> } = {}) {
  const a = makePeer('alice', 0, 0x1111, {
    ...(opts.policyA ? { policy: opts.policyA } : {}),
    ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}),
  });
  const b = makePeer('bob', 1, 0x2222, {
    ...(opts.policyB ? { policy: opts.policyB } : {}),
    ...(opts.maxMessageSize ? { maxMessageSize: opts.maxMessageSize } : {}),
  });
  const links = new Map([
    [a, [b]],
    [b, [a]],
  ]);
  const run = (): void => pump([a, b], links);
  const say = (from: Peer, out: EngineOutput): void => {
    post(from, out, links.get(from)!);
    run();
  };
  return { a, b, links, run, say };
}

export const messages = (p: Peer): string[] => p.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
export const smpEvents = (p: Peer): string[] => p.events.flatMap((e) => (e.type === 'smp' ? [e.smp.type] : []));
export const errors = (p: Peer): OtrEvent[] => p.events.filter((e) => e.type === 'error');
