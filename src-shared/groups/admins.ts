// Admins (docs/groups.md §"Admins"): "removal is by a member with that right (the group's creator
// and the admins it names)". The creator names them with a signed set_admins carrying the whole
// list and a version; the service checks and relays it as admins_set, and every client applies it
// only if the creator *it knows* signed it and the version is newer than the one it holds, so
// neither the service nor a member can make someone an admin, nor replay an older list. Removals
// and rekeys are accepted only from members who hold the right in this client's own view.
import type { Step } from './client';
import type { ClientDeps, ClientGroupState } from './client-state';
import { groupError } from './errors';
import { signStatement, verifyStatement } from './statements';
import type { MessageOf } from './wire';

/** the creator and its named admins who are still members (the only ones who may remove or rekey) */
export function presentAdmins(s: ClientGroupState): string[] {
  const all = new Set([...(s.creator ? [s.creator] : []), ...s.admins]);
  return [...all].filter((fp) => s.members[fp]).sort();
}

/** may `fp` remove members, as this client knows the group? */
export const mayRemove = (s: ClientGroupState, fp: string): boolean => Boolean(s.members[fp]) && presentAdmins(s).includes(fp);

/**
 * Who hands out the new key after a leave: the lowest-fingerprint admin still present, or, when
 * no admin is left, the lowest-fingerprint member (every client computes the same answer).
 */
export function rekeyerAfterLeave(s: ClientGroupState): string | undefined {
  return presentAdmins(s)[0] ?? Object.keys(s.members).sort()[0];
}

/**
 * A new key is accepted only from the member expected to hand it out: the author of the removal
 * (checked as an admin when the removal was applied, so being un-named in between does not strand
 * the group), or the rule's member after a leave. Without such an expectation (a state saved by
 * an older version), from an admin, or the rule's member when no admin is left.
 */
export function mayRekey(s: ClientGroupState, fp: string): boolean {
  if (!s.members[fp]) return false;
  if (s.rekeyPending && s.rekeyFrom) return fp === s.rekeyFrom;
  const admins = presentAdmins(s);
  return admins.length > 0 ? admins.includes(fp) : fp === Object.keys(s.members).sort()[0];
}

/** a member who is removed or leaves loses its admin right (the service does the same) */
export function dropAdmin(s: ClientGroupState, fp: string): void {
  s.admins = s.admins.filter((a) => a !== fp);
}

/** the named admins, creator excluded, sorted and without duplicates (the signed form) */
export const namedAdmins = (s: ClientGroupState): string[] => [...new Set(s.admins.filter((a) => a !== s.creator))].sort();

/** User action (creator only): make `fp` an admin, or take the right back. */
export function setAdmin(state: ClientGroupState, fp: string, admin: boolean, deps: ClientDeps): Step {
  const s = structuredClone(state);
  if (s.phase !== 'member') throw groupError('not-ready', 'you are not a member of this group');
  if (s.creator !== deps.me.fingerprint) throw groupError('not-allowed', 'only the creator of the group names admins');
  if (!s.members[fp] || fp === s.creator) throw groupError('not-allowed', 'only another member can be named admin');
  const current = namedAdmins(s);
  const admins = admin ? [...new Set([...current, fp])].sort() : current.filter((a) => a !== fp);
  const ver = (s.adminVer ?? 0) + 1;
  const sig = signStatement(deps.me.signingSecret, { op: 'set_admins', group: s.group, admins, by: deps.me.fingerprint, ver });
  // the list changes when admins_set comes back from the service, as for everyone else
  return { state: s, out: [{ t: 'set_admins', group: s.group, admins, by: deps.me.fingerprint, ver, sig }], events: [] };
}

/** admins_set relayed by the service: applied only if the creator we know signed a newer list of members */
export function onAdminsSet(step: Step, m: MessageOf<'admins_set'>): void {
  const s = step.state;
  if (s.phase !== 'member') throw groupError('out-of-order', 'admins_set outside membership');
  const creator = s.creator ? s.members[s.creator] : undefined;
  if (!creator || m.by !== s.creator) throw groupError('not-allowed', 'admins named by someone who is not the creator of the group');
  if (m.ver <= (s.adminVer ?? 0)) throw groupError('replay', 'an admin list older than the one we hold');
  const sorted = [...new Set(m.admins)].sort();
  if (sorted.length !== m.admins.length || sorted.some((a, i) => a !== m.admins[i])) throw groupError('malformed', 'the admin list is not sorted');
  if (m.admins.some((a) => a === s.creator || !s.members[a])) throw groupError('not-allowed', 'only members other than the creator can be admins');
  if (!verifyStatement(creator.key.h, { op: 'set_admins', group: s.group, admins: m.admins, by: m.by, ver: m.ver }, m.sig))
    throw groupError('bad-signature', 'the admin list is not signed by the creator');
  s.admins = [m.by, ...m.admins];
  s.adminVer = m.ver;
  step.events.push({ type: 'admins-changed', admins: s.admins });
}
