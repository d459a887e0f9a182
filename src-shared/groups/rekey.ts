// Rekeys under concurrent membership changes (docs/groups.md §"Rekeys: ordering and races").
//
// Every removal or leave a client applies moves its *target* epoch one up and names the one
// member who must hand out that epoch's key (the remover; after a leave, the rule of admins.ts).
// Clients apply statements in the service's log order, so they all count the same epochs with the
// same rekeyers, and two admins removing at once make two epochs, never two keys for one epoch.
// The key of the highest epoch wins: it is the only one a client sends under. A key of an earlier
// epoch that arrives late (it lost the race: its rekeyer had not yet seen the later change) is
// kept to read what a member who raced sent under it, never to send; a key is adopted for sending
// only if every member it was handed to is in this client's own list, so no key a removed member
// holds is ever used again.
import type { Step } from './client';
import type { ClientDeps, ClientGroupState } from './client-state';
import { groupError } from './errors';
import { SESSION_KEY_BYTES } from './inner';
import { presentAdmins } from './admins';
import type { KeyBundle } from './keys';
import { sealPairwise } from './pairwise';
import { signStatement } from './statements';

/** how many epochs' keys are kept: the current one and losers or predecessors still in flight */
export const KEEP_EPOCHS = 4;

/**
 * the epoch the latest membership change calls for; in a state saved before it was kept, the next
 * one while a rekey is pending, else the current one
 */
export const targetOf = (s: ClientGroupState): number => s.target ?? (s.rekeyPending ? s.epoch + 1 : s.epoch);

/** who must hand out `epoch`'s key (a state saved before: the pending rekey's `rekeyFrom`) */
const rekeyerOf = (s: ClientGroupState, epoch: number): string | undefined =>
  s.rekeyers?.[epoch] ?? (s.target === undefined && s.rekeyPending && epoch === s.epoch + 1 ? s.rekeyFrom : undefined);

/** A removal or leave was applied: the next epoch, handed out by `rekeyer` (us: at once). */
export function expectRekey(step: Step, rekeyer: string | undefined, deps: ClientDeps): void {
  const s = step.state;
  const epoch = targetOf(s) + 1;
  const pendingBefore = rekeyerOf(s, epoch - 1);
  s.target = epoch;
  s.rekeyers = keepRecent({ ...(pendingBefore ? { [epoch - 1]: pendingBefore } : {}), ...(s.rekeyers ?? {}), ...(rekeyer ? { [epoch]: rekeyer } : {}) });
  s.rekeyPending = true;
  if (rekeyer) s.rekeyFrom = rekeyer;
  else delete s.rekeyFrom;
  if (rekeyer === deps.me.fingerprint) issueKey(step, epoch, deps);
}

/** A fresh session key for `epoch`, handed to each member of our list pairwise. */
function issueKey(step: Step, epoch: number, deps: ClientDeps): void {
  const s = step.state;
  const key = deps.random(SESSION_KEY_BYTES);
  const members = Object.keys(s.members);
  for (const [fp, v] of Object.entries(s.members)) {
    if (fp === deps.me.fingerprint) continue;
    step.out.push(sealPairwise(deps.me, s.group, { fp, key: v.key as KeyBundle }, { k: 'rekey', epoch, session_key: key, members }, deps.random));
  }
  adoptCurrent(step, epoch, key, deps);
}

/** A rekey received pairwise from `from` (its signature and our decryption already checked). */
export function onRekey(step: Step, from: string, p: { epoch: number; session_key: Uint8Array; members: string[] }, deps: ClientDeps): void {
  const s = step.state;
  if (s.phase !== 'member' || !s.members[from]) throw groupError('not-allowed', 'a new key from someone who is not a member');
  const target = targetOf(s);
  const expected = rekeyerOf(s, p.epoch);
  if (expected !== undefined) {
    if (expected !== from) throw groupError('not-allowed', 'a new key from a member without the right to rekey');
  } else if (s.target !== undefined || p.epoch <= s.epoch || !fallbackMayRekey(s, from)) {
    // no change of ours calls for this epoch: refused, except in a state saved by the previous
    // version (no target kept), which takes an admin's key for a later epoch as it did
    throw groupError(
      p.epoch <= s.epoch ? 'replay' : 'not-allowed',
      p.epoch <= s.epoch ? 'a key for an epoch we have passed' : 'a new key from a member without the right to rekey',
    );
  }
  if (p.epoch > target && expected !== undefined) throw groupError('out-of-order', 'a key for a change we have not seen');
  if (s.keys[p.epoch]) throw groupError('replay', 'a key for this epoch was received already');
  if (p.epoch < target) {
    // lost the race to a later change: readable (what a member sent under it before it saw the
    // later change), never sent under; only while it is among the epochs we keep
    const kept = Object.keys(s.keys).map(Number);
    if (kept.length >= KEEP_EPOCHS && p.epoch < Math.min(...kept)) throw groupError('replay', 'a key for an epoch long passed');
    s.keys[p.epoch] = p.session_key;
    s.keys = keepRecent(s.keys);
    step.events.push({ type: 'late-key', epoch: p.epoch });
    return;
  }
  // the winner: only if nobody outside our own list was given it
  if (p.members.some((fp) => !s.members[fp])) throw groupError('not-allowed', 'the new key was handed to someone who is not a member');
  adoptCurrent(step, p.epoch, p.session_key, deps);
}

function fallbackMayRekey(s: ClientGroupState, fp: string): boolean {
  const admins = presentAdmins(s);
  return admins.length > 0 ? admins.includes(fp) : fp === Object.keys(s.members).sort()[0];
}

/** `key` becomes the one we send under; admissions we answered with an older key are answered again. */
function adoptCurrent(step: Step, epoch: number, key: Uint8Array, deps: ClientDeps): void {
  const s = step.state;
  s.keys = keepRecent({ ...s.keys, [epoch]: key });
  s.epoch = epoch;
  s.target = epoch;
  s.ctr = 0;
  s.rekeyPending = false;
  delete s.rekeyFrom;
  step.events.push({ type: 'rekeyed', epoch });
  for (const [fp, a] of Object.entries(s.answered ?? {})) if (a.epoch !== epoch) answerAdmission(step, fp, a.key, a.nonce, deps);
}

/**
 * Steps 5–6 for a newcomer who sent us its challenge: response (nonce, current key, roster) and
 * add_user, both at the current epoch. While a rekey is pending the answer waits for the new key
 * (docs/groups.md §"Admission and rekey, in order"); answered again after each new key until our
 * user_added comes back, since the service refuses a vouch of an epoch a removal has ended.
 */
export function answerAdmission(step: Step, fp: string, key: KeyBundle, nonce: Uint8Array, deps: ClientDeps): void {
  const s = step.state;
  s.answered = { ...(s.answered ?? {}) };
  if (s.rekeyPending || !s.keys[s.epoch]) {
    s.answered[fp] = { key, nonce, epoch: null };
    return;
  }
  s.answered[fp] = { key, nonce, epoch: s.epoch };
  const members = Object.entries(s.members).map(([m, v]) => ({ fp: m, key: v.key, ...(v.name !== undefined ? { name: v.name } : {}) }));
  const response = {
    k: 'response' as const,
    nonce,
    session_key: s.keys[s.epoch]!,
    epoch: s.epoch,
    creator: s.creator ?? deps.me.fingerprint,
    admins: s.admins,
    admin_ver: s.adminVer ?? 0,
    members,
  };
  step.out.push(sealPairwise(deps.me, s.group, { fp, key }, response, deps.random));
  const st = { op: 'add_user' as const, group: s.group, fp, key, by: deps.me.fingerprint, epoch: s.epoch };
  step.out.push({ t: 'add_user', group: s.group, fp, key, by: deps.me.fingerprint, epoch: s.epoch, sig: signStatement(deps.me.signingSecret, st) });
  step.events.push({ type: 'vouched', fp });
}

/** the `keep` most recent epochs of a per-epoch record */
function keepRecent<T>(r: Record<number, T>, keep = KEEP_EPOCHS): Record<number, T> {
  const recent = Object.keys(r)
    .map(Number)
    .sort((a, b) => b - a)
    .slice(0, keep);
  return Object.fromEntries(recent.map((e) => [e, r[e]!]));
}
