// Two V4Conversation instances talking to each other through an in-memory "network" that the
// test controls (deliver everything, reorder, drop, tamper).
import type { EngineOutput, OtrEvent } from '../../api';
import type { Dh3072Engine } from '../dh3072';
import { V4Conversation, type V4ConversationOptions } from '../session';
import { makeParty, type Party, T0 } from './parties';
import { seededRandom } from './engines';

export interface Side {
  party: Party;
  conv: V4Conversation;
  events: OtrEvent[];
  inbox: string[];
}

export function makeSide(
  id: string,
  peer: string,
  seed: string,
  dh: Dh3072Engine,
  extra: Partial<V4ConversationOptions> = {},
  clock: () => number = () => T0,
): Side {
  const random = seededRandom(seed);
  const party = makeParty(id, peer, random, dh, clock);
  const conv = new V4Conversation({
    identity: party.identity,
    random,
    clock,
    dh,
    ourId: id,
    theirId: peer,
    prekeyOwner: { ...party.owner, consume: (pid) => party.prekeys.delete(pid) },
    ...extra,
  });
  return { party, conv, events: [], inbox: [] };
}

/** records events and queues what `from` sends into `to`'s inbox */
export function post(from: Side, to: Side, out: EngineOutput): void {
  from.events.push(...out.events);
  to.inbox.push(...out.toSend);
}

/** delivers until both inboxes are empty (bounded) */
export function pump(a: Side, b: Side, limit = 200): void {
  for (let n = 0; n < limit; n++) {
    if (a.inbox.length) post(a, b, a.conv.receive(a.inbox.shift()!));
    else if (b.inbox.length) post(b, a, b.conv.receive(b.inbox.shift()!));
    else return;
  }
  throw new Error('message loop did not settle');
}

export function messages(s: Side): string[] {
  return s.events.filter((e): e is Extract<OtrEvent, { type: 'message' }> => e.type === 'message' && e.encrypted).map((e) => e.text);
}
