// The client role of the Protocol Notes (docs/groups.md §"The client") as pure functions:
// (state, input, deps) → { state, out, events }. A refused input throws a GroupProtocolError and
// leaves the caller's state untouched (every function works on a copy and returns it only on
// success): "refused with a clear error, nothing stored, the group unchanged".
import { dropAdmin, mayRemove, onAdminsSet, rekeyerAfterLeave } from './admins';
import { equalBytes } from './bytes';
import type { ClientDeps, ClientEvent, ClientGroupState } from './client-state';
import { groupError, isGroupError } from './errors';
import { openGroup, sealGroup } from './group-cipher';
import { CHALLENGE_NONCE_BYTES } from './inner';
import { verifyBundle } from './keys';
import { openPairwise, sealPairwise } from './pairwise';
import { answerAdmission, expectRekey, onRekey, targetOf } from './rekey';
import { signStatement, verifyStatement } from './statements';
import { type GroupMessage, type MessageOf, parseMessage } from './wire';

export interface Step {
  state: ClientGroupState;
  out: GroupMessage[];
  events: ClientEvent[];
}

const copy = (s: ClientGroupState): ClientGroupState => structuredClone(s);

/** Connection (notes: identity → Ack), with the catch-up cursor and, for a new group, create. */
export function connect(state: ClientGroupState, deps: ClientDeps): Step {
  const s = copy(state);
  if (s.phase === 'left' || s.phase === 'removed') throw groupError('not-allowed', 'you are no longer in this group');
  if (s.phase === 'refused') s.phase = 'joining';
  if (s.phase === 'pending' || s.phase === 'admitting') {
    s.phase = 'joining';
    s.admission = null;
  }
  const out: GroupMessage = {
    t: 'identity',
    group: s.group,
    fp: deps.me.fingerprint,
    key: deps.me.bundle,
    ...(s.since ? { since: s.since } : {}),
    ...(s.create ? { create: true } : {}),
  };
  s.vouching = {};
  // the service forgets an admission when its voucher goes away: nothing of ours is still awaited
  s.answered = {};
  s.awaitingAck = true;
  return { state: s, out: [out], events: [] };
}

/** One body that arrived from `from` (the stanza's sender, a bare or full JID). */
export function receive(state: ClientGroupState, from: string, body: string, deps: ClientDeps): Step {
  if (bare(from) !== state.address) throw groupError('forged-service-message', 'a group message that does not come from the group service was refused');
  const m = parseMessage(body);
  if (m.group !== state.group) throw groupError('malformed', 'the message names another group');
  const s = copy(state);
  const step: Step = { state: s, out: [], events: [] };
  if ('seq' in m && typeof m.seq === 'number' && m.seq > s.since) s.since = m.seq;
  switch (m.t) {
    case 'Ack':
      onAck(step, m);
      break;
    case 'new_user':
      onNewUser(step, m, deps);
      break;
    case 'encrypted':
      onEncrypted(step, m, deps);
      break;
    case 'user_added':
      onUserAdded(step, m, deps);
      break;
    case 'user_removed':
      onUserRemoved(step, m, deps);
      break;
    case 'user_left':
      onUserLeft(step, m, deps);
      break;
    case 'admins_set':
      onAdminsSet(step, m);
      break;
    case 'group':
      onGroup(step, m);
      break;
    case 'disconnect':
      if (s.phase === 'member' && m.reason !== 'removed') throw groupError('out-of-order', 'a member cannot be refused admission');
      s.phase = m.reason === 'removed' ? 'removed' : 'refused';
      s.refusal = { reason: m.reason, text: m.text };
      s.admission = null;
      step.events.push({ type: 'refused', reason: m.reason, text: m.text });
      break;
    case 'error':
      // a vouch overtaken by a removal is answered again with the new key (rekey.ts): not news
      if (m.code === 'stale-epoch') break;
      step.events.push({ type: 'service-error', code: m.code, text: m.text });
      break;
    default:
      throw groupError('out-of-order', `${m.t} is sent to the service, not by it`);
  }
  return step;
}

function onAck(step: Step, m: MessageOf<'Ack'>): void {
  const s = step.state;
  if (!s.awaitingAck) throw groupError('out-of-order', 'an Ack we did not ask for');
  s.awaitingAck = false;
  s.create = false;
  if (m.member) {
    if (!s.keys[s.epoch]) throw groupError('not-ready', 'the service says we are a member but we hold no session key');
    s.phase = 'member';
    s.creator ??= m.creator;
    step.events.push({ type: 'connected' });
    return;
  }
  // a former member the service no longer lists starts over as a newcomer
  s.phase = 'pending';
  s.members = {};
  s.keys = {};
  s.epoch = 0;
  step.events.push({ type: 'admission-pending' });
}

// ---- member side: steps 3 and 5–6 ----------------------------------------------------------

function onNewUser(step: Step, m: MessageOf<'new_user'>, deps: ClientDeps): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'only a member is asked to vouch');
  verifyBundle(m.key, m.fp);
  if (s.members[m.fp]) throw groupError('out-of-order', 'this identity is a member already');
  // step 3: "member looks the newcomer up in its trusted identities"
  if (!deps.isTrusted(m.fp)) {
    step.out.push({ t: 'Nack', group: s.group, fp: m.fp, reason: 'not-verified' });
    step.events.push({ type: 'vouch-declined', fp: m.fp });
    return;
  }
  s.vouching[m.fp] = m.key;
  step.out.push(sealPairwise(deps.me, s.group, { fp: m.fp, key: m.key }, { k: 'identity', fp: deps.me.fingerprint }, deps.random));
}

function onEncrypted(step: Step, m: MessageOf<'encrypted'>, deps: ClientDeps): void {
  const s = step.state;
  const known = s.members[m.from]?.key ?? s.vouching[m.from] ?? (s.admission?.voucher === m.from ? s.admission.key : undefined);
  const p = openPairwise(deps.me, m, known);
  switch (p.k) {
    case 'identity': {
      // step 4 (newcomer): "looks the member up among its own trusted identities"
      if (s.phase !== 'pending') throw groupError('out-of-order', 'identity(member) outside an admission');
      if (p.fp !== m.from) throw groupError('bad-identity', 'the member names another identity than its keys');
      if (!deps.isTrusted(m.from)) {
        s.phase = 'refused';
        s.refusal = { reason: 'untrusted-voucher', text: 'A member you have not verified answered; you were not admitted.' };
        step.out.push({ t: 'Nack', group: s.group, fp: deps.me.fingerprint, reason: 'unknown-member' });
        step.events.push({ type: 'untrusted-voucher', fp: m.from });
        return;
      }
      const nonce = deps.random(CHALLENGE_NONCE_BYTES);
      s.phase = 'admitting';
      s.admission = { voucher: m.from, key: m.key, nonce };
      step.out.push(sealPairwise(deps.me, s.group, { fp: m.from, key: m.key }, { k: 'challenge', nonce }, deps.random));
      return;
    }
    case 'challenge': {
      // step 5–6 (member): answer with the nonce and the session key, then add_user — after the
      // pending new key if a removal or leave is not rekeyed yet (rekey.ts)
      const key = s.vouching[m.from];
      if (s.phase !== 'member' || !key) throw groupError('out-of-order', 'a challenge from an identity we did not vouch for');
      if (!s.keys[s.epoch]) throw groupError('not-ready', 'no session key');
      delete s.vouching[m.from];
      answerAdmission(step, m.from, key, p.nonce, deps);
      return;
    }
    case 'response': {
      // step 5 (newcomer): the nonce proves the member holds the key we challenged
      // a second response from the same member (same nonce) replaces the first: it vouched again
      // with the new key of a removal that came in between (docs/groups.md §"Admission and rekey")
      const a = s.admission;
      if (s.phase !== 'admitting' || !a || a.voucher !== m.from) throw groupError('out-of-order', 'a response we did not ask for');
      if (!equalBytes(a.nonce, p.nonce)) throw groupError('wrong-nonce', 'the response does not carry our challenge; admission not accepted');
      if (!p.members.some((x) => x.fp === m.from)) throw groupError('not-vouched', 'the member who answered is not in its own member list');
      for (const x of p.members) verifyBundle(x.key, x.fp);
      s.members = Object.fromEntries(p.members.map((x) => [x.fp, { key: x.key, ...(x.name !== undefined ? { name: x.name } : {}) }]));
      s.creator = p.creator;
      s.admins = p.admins;
      s.adminVer = p.admin_ver ?? 0;
      s.epoch = p.epoch;
      s.target = p.epoch;
      s.rekeyers = {};
      s.keys = { [p.epoch]: p.session_key };
      s.ctr = 0;
      return;
    }
    case 'rekey':
      onRekey(step, m.from, p, deps);
      releaseEarly(step);
      return;
  }
}

// ---- everyone: membership statements relayed by the service --------------------------------

function onUserAdded(step: Step, m: MessageOf<'user_added'>, deps: ClientDeps): void {
  const s = step.state;
  const self = m.fp === deps.me.fingerprint;
  if (self ? s.phase !== 'admitting' && s.phase !== 'member' : s.phase !== 'member') throw groupError('out-of-order', 'user_added outside membership');
  const voucher = s.members[m.by];
  if (!voucher) throw groupError('not-vouched', 'user_added by someone who is not a member we know');
  verifyBundle(m.key, m.fp);
  if (!verifyStatement(voucher.key.h, { op: 'add_user', group: s.group, fp: m.fp, key: m.key, by: m.by, epoch: m.epoch }, m.sig)) {
    throw groupError('not-vouched', 'user_added is not signed by the member it names');
  }
  if (self) {
    if (!s.keys[s.epoch]) throw groupError('out-of-order', 'user_added before the response');
    // the service orders admissions after rekeys: we are in at the epoch of the key we hold
    if (m.epoch !== s.epoch) throw groupError('out-of-order', 'user_added at another epoch than the key we were given');
    s.phase = 'member';
    s.admission = null;
    s.members[m.fp] = { key: m.key, name: s.myName, since: m.epoch };
    step.events.push({ type: 'admitted' });
    // step 8: encrypted(session_key, hello_i_am(name, identity))
    step.out.push(sealNext(s, deps, { k: 'hello_i_am', name: s.myName, fp: deps.me.fingerprint }));
    return;
  }
  // vouched at the epoch of the latest change we applied (the service refuses older vouches)
  if (m.epoch !== targetOf(s)) throw groupError('replay', 'user_added of another epoch');
  if (s.members[m.fp]) throw groupError('replay', 'this identity is a member already');
  s.members[m.fp] = { key: m.key, since: m.epoch };
  if (s.answered?.[m.fp]) {
    s.answered = { ...s.answered };
    delete s.answered[m.fp];
  }
  step.events.push({ type: 'member-added', fp: m.fp, by: m.by });
}

function onUserRemoved(step: Step, m: MessageOf<'user_removed'>, deps: ClientDeps): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'user_removed outside membership');
  const by = s.members[m.by];
  if (!by || !mayRemove(s, m.by)) throw groupError('not-allowed', 'a removal by someone without that right');
  // signed at the remover's latest epoch: possibly before a change that raced it (then applied
  // after it, in the service's order), never before the member was admitted (a replay)
  if (m.epoch > targetOf(s)) throw groupError('out-of-order', 'a removal of an epoch we have not reached');
  if (s.members[m.fp] && m.epoch < (s.members[m.fp]!.since ?? 0)) throw groupError('replay', 'a removal older than the admission of its subject');
  if (!verifyStatement(by.key.h, { op: 'remove', group: s.group, fp: m.fp, by: m.by, epoch: m.epoch }, m.sig))
    throw groupError('bad-signature', 'the removal is not signed by its author');
  if (!s.members[m.fp]) throw groupError('out-of-order', 'not a member');
  if (m.fp === deps.me.fingerprint) {
    s.phase = 'removed';
    s.keys = {};
    s.members = {};
    step.events.push({ type: 'removed', by: m.by });
    return;
  }
  delete s.members[m.fp];
  dropAdmin(s, m.fp);
  step.events.push({ type: 'member-removed', fp: m.fp, by: m.by });
  // the remover hands the new key out; everyone else waits for it before sending
  expectRekey(step, m.by, deps);
}

function onUserLeft(step: Step, m: MessageOf<'user_left'>, deps: ClientDeps): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'user_left outside membership');
  const who = s.members[m.fp];
  if (!who) throw groupError('out-of-order', 'not a member');
  if (m.epoch > targetOf(s)) throw groupError('out-of-order', 'a leave of an epoch we have not reached');
  if (m.epoch < (who.since ?? 0)) throw groupError('replay', 'a leave older than the admission of its author');
  if (!verifyStatement(who.key.h, { op: 'leave', group: s.group, fp: m.fp, epoch: m.epoch }, m.sig))
    throw groupError('bad-signature', 'the leave is not signed by the member');
  delete s.members[m.fp];
  dropAdmin(s, m.fp);
  step.events.push({ type: 'member-left', fp: m.fp });
  // the remaining admin (else member) with the lowest fingerprint hands the new key out (a rule
  // every member computes alike, so exactly one does it; admins.ts)
  expectRekey(step, rekeyerAfterLeave(s), deps);
}

function onGroup(step: Step, m: MessageOf<'group'>): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'a group message outside membership');
  const sender = s.members[m.from];
  if (!sender) throw groupError('not-allowed', 'a message from someone who is not a member');
  const key = s.keys[m.epoch];
  if (!key) {
    // a change we applied names this epoch and its key is on its way: keep the message until then
    if (s.rekeyers?.[m.epoch] !== undefined && (s.early?.length ?? 0) < MAX_EARLY) {
      s.early = [...(s.early ?? []), m];
      return;
    }
    throw groupError('undecryptable', 'a message under a key we do not hold');
  }
  const slot = `${m.from}:${m.epoch}`;
  // our own messages come back in the catch-up log (the service does not echo them live): not a replay
  if (m.from === s.me && (s.seen[slot] ?? -1) >= m.ctr) return;
  if ((s.seen[slot] ?? -1) >= m.ctr) throw groupError('replay', 'this message was received already');
  const p = openGroup(m, key, sender.key.h);
  s.seen[slot] = m.ctr;
  if (p.k === 'hello_i_am') {
    if (p.fp !== m.from) throw groupError('bad-identity', 'hello_i_am names another identity than its sender');
    sender.name = p.name;
    step.events.push({ type: 'hello', fp: m.from, name: p.name });
    return;
  }
  step.events.push({ type: 'message', from: m.from, text: p.text, ts: p.ts, epoch: m.epoch, ctr: m.ctr, seq: m.seq ?? null });
}

/** how many messages wait for their key at most */
const MAX_EARLY = 500;

/** opens the messages that waited for a key now held; drops those whose key can no longer come */
function releaseEarly(step: Step): void {
  const s = step.state;
  const early = s.early ?? [];
  if (!early.length) return;
  s.early = early.filter((m) => !s.keys[m.epoch] && s.rekeyers?.[m.epoch] !== undefined);
  for (const m of early.filter((x) => s.keys[x.epoch])) {
    try {
      onGroup(step, m);
    } catch (e) {
      // refused now that it can be checked (forged, replayed): dropped like any refused message
      if (!isGroupError(e)) throw e;
    }
  }
}

// ---- user actions ----------------------------------------------------------------------------

export function sendText(state: ClientGroupState, text: string, deps: ClientDeps): Step {
  const s = copy(state);
  if (s.phase !== 'member') throw groupError('not-ready', 'you are not a member of this group (yet)');
  if (s.rekeyPending) throw groupError('not-ready', 'waiting for the new group key after a member left');
  const msg = sealNext(s, deps, { k: 'text', text, ts: deps.clock() });
  return { state: s, out: [msg], events: [] };
}

export function leave(state: ClientGroupState, deps: ClientDeps): Step {
  const s = copy(state);
  if (s.phase !== 'member') throw groupError('not-ready', 'you are not a member of this group');
  const epoch = targetOf(s);
  const sig = signStatement(deps.me.signingSecret, { op: 'leave', group: s.group, fp: deps.me.fingerprint, epoch });
  const out: GroupMessage = { t: 'leave', group: s.group, fp: deps.me.fingerprint, epoch, sig };
  s.phase = 'left';
  s.keys = {};
  return { state: s, out: [out], events: [] };
}

export function remove(state: ClientGroupState, fp: string, deps: ClientDeps): Step {
  const s = copy(state);
  if (s.phase !== 'member') throw groupError('not-ready', 'you are not a member of this group');
  if (!mayRemove(s, deps.me.fingerprint)) throw groupError('not-allowed', 'only the creator and its admins may remove members');
  if (!s.members[fp] || fp === s.creator || fp === deps.me.fingerprint) throw groupError('not-allowed', 'this identity cannot be removed');
  const epoch = targetOf(s);
  const sig = signStatement(deps.me.signingSecret, { op: 'remove', group: s.group, fp, by: deps.me.fingerprint, epoch });
  return { state: s, out: [{ t: 'remove', group: s.group, fp, by: deps.me.fingerprint, epoch, sig }], events: [] };
}

// ---- helpers ---------------------------------------------------------------------------------

function sealNext(s: ClientGroupState, deps: ClientDeps, payload: Parameters<typeof sealGroup>[5]): GroupMessage {
  const key = s.keys[s.epoch];
  if (!key) throw groupError('not-ready', 'no session key');
  const ctr = s.ctr++;
  s.seen[`${deps.me.fingerprint}:${s.epoch}`] = ctr;
  return sealGroup(deps.me, s.group, key, s.epoch, ctr, payload, deps.random);
}

const bare = (jid: string): string => jid.split('/')[0]!.toLowerCase();

export { newGroupState } from './client-state';
export type { ClientDeps, ClientEvent, ClientGroupState } from './client-state';
