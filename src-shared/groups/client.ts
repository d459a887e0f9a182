// The client role of the Protocol Notes (docs/groups.md §"The client") as pure functions:
// (state, input, deps) → { state, out, events }. A refused input throws a GroupProtocolError and
// leaves the caller's state untouched (every function works on a copy and returns it only on
// success): "refused with a clear error, nothing stored, the group unchanged".
import { dropAdmin, mayRekey, mayRemove, onAdminsSet, rekeyerAfterLeave } from './admins';
import { equalBytes } from './bytes';
import type { ClientDeps, ClientEvent, ClientGroupState } from './client-state';
import { groupError } from './errors';
import { openGroup, sealGroup } from './group-cipher';
import { CHALLENGE_NONCE_BYTES, SESSION_KEY_BYTES } from './inner';
import { type KeyBundle, verifyBundle } from './keys';
import { openPairwise, sealPairwise } from './pairwise';
import { signStatement, verifyStatement } from './statements';
import { type GroupMessage, type MessageOf, parseMessage } from './wire';

export interface Step {
  state: ClientGroupState;
  out: GroupMessage[];
  events: ClientEvent[];
}

/** how many past epochs' keys are kept for messages still in flight */
const KEEP_EPOCHS = 3;

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
      // step 5–6 (member): answer with the nonce and the session key, then add_user
      const key = s.vouching[m.from];
      if (s.phase !== 'member' || !key) throw groupError('out-of-order', 'a challenge from an identity we did not vouch for');
      if (!s.keys[s.epoch]) throw groupError('not-ready', 'no session key');
      delete s.vouching[m.from];
      const members = Object.entries(s.members).map(([fp, v]) => ({ fp, key: v.key, ...(v.name !== undefined ? { name: v.name } : {}) }));
      step.out.push(
        sealPairwise(
          deps.me,
          s.group,
          { fp: m.from, key },
          {
            k: 'response',
            nonce: p.nonce,
            session_key: s.keys[s.epoch]!,
            epoch: s.epoch,
            creator: s.creator ?? deps.me.fingerprint,
            admins: s.admins,
            admin_ver: s.adminVer ?? 0,
            members,
          },
          deps.random,
        ),
      );
      const st = { op: 'add_user' as const, group: s.group, fp: m.from, key, by: deps.me.fingerprint, epoch: s.epoch };
      step.out.push({ t: 'add_user', group: s.group, fp: m.from, key, by: deps.me.fingerprint, epoch: s.epoch, sig: signStatement(deps.me.signingSecret, st) });
      step.events.push({ type: 'vouched', fp: m.from });
      return;
    }
    case 'response': {
      // step 5 (newcomer): the nonce proves the member holds the key we challenged
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
      s.keys = { [p.epoch]: p.session_key };
      s.ctr = 0;
      s.admission = null;
      return;
    }
    case 'rekey': {
      if (s.phase !== 'member' || !s.members[m.from]) throw groupError('not-allowed', 'a new key from someone who is not a member');
      // only the creator or an admin it named (as this client knows them) hands out keys
      if (!mayRekey(s, m.from)) throw groupError('not-allowed', 'a new key from a member without the right to rekey');
      if (p.epoch <= s.epoch) throw groupError('replay', 'a key for an epoch we have passed');
      adoptKey(s, p.epoch, p.session_key);
      step.events.push({ type: 'rekeyed', epoch: p.epoch });
      return;
    }
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
    s.phase = 'member';
    s.members[m.fp] = { key: m.key, name: s.myName };
    step.events.push({ type: 'admitted' });
    // step 8: encrypted(session_key, hello_i_am(name, identity))
    step.out.push(sealNext(s, deps, { k: 'hello_i_am', name: s.myName, fp: deps.me.fingerprint }));
    return;
  }
  if (m.epoch !== s.epoch) throw groupError('replay', 'user_added of another epoch');
  s.members[m.fp] = { key: m.key };
  step.events.push({ type: 'member-added', fp: m.fp, by: m.by });
}

function onUserRemoved(step: Step, m: MessageOf<'user_removed'>, deps: ClientDeps): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'user_removed outside membership');
  const by = s.members[m.by];
  if (!by || !mayRemove(s, m.by)) throw groupError('not-allowed', 'a removal by someone without that right');
  if (m.epoch !== s.epoch) throw groupError('replay', 'a removal of another epoch');
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
  if (m.by === deps.me.fingerprint) rekey(step, deps);
  else {
    s.rekeyPending = true;
    s.rekeyFrom = m.by;
  }
}

function onUserLeft(step: Step, m: MessageOf<'user_left'>, deps: ClientDeps): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'user_left outside membership');
  const who = s.members[m.fp];
  if (!who) throw groupError('out-of-order', 'not a member');
  if (m.epoch !== s.epoch) throw groupError('replay', 'a leave of another epoch');
  if (!verifyStatement(who.key.h, { op: 'leave', group: s.group, fp: m.fp, epoch: m.epoch }, m.sig))
    throw groupError('bad-signature', 'the leave is not signed by the member');
  delete s.members[m.fp];
  dropAdmin(s, m.fp);
  step.events.push({ type: 'member-left', fp: m.fp });
  // the remaining admin (else member) with the lowest fingerprint hands the new key out (a rule
  // every member computes alike, so exactly one does it; admins.ts)
  const rekeyer = rekeyerAfterLeave(s);
  if (rekeyer === deps.me.fingerprint) rekey(step, deps);
  else {
    s.rekeyPending = true;
    if (rekeyer) s.rekeyFrom = rekeyer;
  }
}

function onGroup(step: Step, m: MessageOf<'group'>): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'a group message outside membership');
  const sender = s.members[m.from];
  if (!sender) throw groupError('not-allowed', 'a message from someone who is not a member');
  const key = s.keys[m.epoch];
  if (!key) throw groupError('undecryptable', 'a message under a key we do not hold');
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
  const sig = signStatement(deps.me.signingSecret, { op: 'leave', group: s.group, fp: deps.me.fingerprint, epoch: s.epoch });
  const out: GroupMessage = { t: 'leave', group: s.group, fp: deps.me.fingerprint, epoch: s.epoch, sig };
  s.phase = 'left';
  s.keys = {};
  return { state: s, out: [out], events: [] };
}

export function remove(state: ClientGroupState, fp: string, deps: ClientDeps): Step {
  const s = copy(state);
  if (s.phase !== 'member') throw groupError('not-ready', 'you are not a member of this group');
  if (!mayRemove(s, deps.me.fingerprint)) throw groupError('not-allowed', 'only the creator and its admins may remove members');
  if (!s.members[fp] || fp === s.creator || fp === deps.me.fingerprint) throw groupError('not-allowed', 'this identity cannot be removed');
  const sig = signStatement(deps.me.signingSecret, { op: 'remove', group: s.group, fp, by: deps.me.fingerprint, epoch: s.epoch });
  return { state: s, out: [{ t: 'remove', group: s.group, fp, by: deps.me.fingerprint, epoch: s.epoch, sig }], events: [] };
}

// ---- helpers ---------------------------------------------------------------------------------

function sealNext(s: ClientGroupState, deps: ClientDeps, payload: Parameters<typeof sealGroup>[5]): GroupMessage {
  const key = s.keys[s.epoch];
  if (!key) throw groupError('not-ready', 'no session key');
  const ctr = s.ctr++;
  s.seen[`${deps.me.fingerprint}:${s.epoch}`] = ctr;
  return sealGroup(deps.me, s.group, key, s.epoch, ctr, payload, deps.random);
}

/** "Beyond the notes": a fresh session key, handed to each remaining member pairwise. */
function rekey(step: Step, deps: ClientDeps): void {
  const s = step.state;
  const epoch = s.epoch + 1;
  const key = deps.random(SESSION_KEY_BYTES);
  const others = Object.entries(s.members).filter(([fp]) => fp !== deps.me.fingerprint);
  for (const [fp, v] of others) {
    step.out.push(
      sealPairwise(deps.me, s.group, { fp, key: v.key as KeyBundle }, { k: 'rekey', epoch, session_key: key, members: Object.keys(s.members) }, deps.random),
    );
  }
  adoptKey(s, epoch, key);
  step.events.push({ type: 'rekeyed', epoch });
}

function adoptKey(s: ClientGroupState, epoch: number, key: Uint8Array): void {
  s.keys[epoch] = key;
  for (const e of Object.keys(s.keys).map(Number)) if (e <= epoch - KEEP_EPOCHS) delete s.keys[e];
  s.epoch = epoch;
  s.ctr = 0;
  s.rekeyPending = false;
  delete s.rekeyFrom;
}

const bare = (jid: string): string => jid.split('/')[0]!.toLowerCase();

export { newGroupState } from './client-state';
export type { ClientDeps, ClientEvent, ClientGroupState } from './client-state';
