// The service's check of set_admins (docs/groups.md §"Admins"): only the creator, as itself,
// names admins; the list is members other than the creator, sorted, signed by the creator, with a
// version newer than the stored one. The service enforces the right so a refused list never
// reaches the members; each client checks the same again (admins.ts), trusting no service.
import { groupError } from './errors';
import type { StoredGroup } from './service-store';
import { verifyStatement } from './statements';
import type { MessageOf } from './wire';

/** the stored admin list after a valid set_admins (the creator first), or a typed refusal */
export function checkSetAdmins(g: StoredGroup, sender: { fp: string; member: boolean }, m: MessageOf<'set_admins'>): string[] {
  if (!sender.member || sender.fp !== m.by || !g.members.has(m.by)) throw groupError('not-allowed', 'set_admins is accepted from a member, as itself, only');
  if (m.by !== g.creator) throw groupError('not-allowed', 'only the creator of the group names admins');
  if (m.ver <= g.adminVer) throw groupError('replay', 'an admin list older than the current one');
  const sorted = [...new Set(m.admins)].sort();
  if (sorted.length !== m.admins.length || sorted.some((a, i) => a !== m.admins[i])) throw groupError('malformed', 'the admin list is not sorted');
  if (m.admins.some((a) => a === g.creator || !g.members.has(a))) throw groupError('not-allowed', 'only members other than the creator can be admins');
  if (!verifyStatement(g.members.get(m.by)!.h, { op: 'set_admins', group: m.group, admins: m.admins, by: m.by, ver: m.ver }, m.sig))
    throw groupError('bad-signature', 'set_admins is not signed by the creator');
  return [g.creator, ...m.admins];
}
