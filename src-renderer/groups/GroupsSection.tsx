// The groups of one account in the sidebar: each group (its state in words); folded below them,
// "New group" on a group service and "Join a group" by its address. Opening a group shows
// GroupView.
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AccountInfo } from '../../src-shared/ipc/contract';
import type { GroupInfo } from '../../src-shared/ipc/groups-contract';
import { useGroups, useGroupsState } from './context';
import { groupKey } from './groups-store';
import { GroupView } from './GroupView';
import { ErrorAlert } from '../ui/ErrorAlert';

const errorText = (e: { message: string }) => e.message;

export function GroupsSection({ account }: { account: AccountInfo }) {
  const { actions } = useGroups();
  const all = useGroupsState((s) => s.groups);
  const open = useGroupsState((s) => s.open);
  const [address, setAddress] = useState('');
  // the service new groups are created on: the account's server's groups.<domain> unless changed
  const [service, setService] = useState(`groups.${account.jid.split('@')[1] ?? ''}`);
  const [error, setError] = useState<string | null>(null);
  const ids = { title: useId(), address: useId(), service: useId() };
  const online = account.status === 'online';
  useEffect(() => {
    if (online) void actions.load(account.id);
  }, [online, account.id, actions]);
  const mine: GroupInfo[] = Object.values(all)
    .filter((g) => g.accountId === account.id)
    .sort((a, b) => a.address.localeCompare(b.address));

  const join = async (e: FormEvent) => {
    e.preventDefault();
    if (!address.trim()) return;
    setError(null);
    const r = await actions.join(account.id, address.trim());
    if (r.ok) setAddress('');
    else setError(errorText(r.error));
  };
  const create = async () => {
    setError(null);
    const r = await actions.create(account.id, service.trim() || undefined);
    if (!r.ok) setError(errorText(r.error));
  };

  return (
    <section className="groups" aria-labelledby={ids.title}>
      <h2 id={ids.title}>Groups</h2>
      {mine.length > 0 && (
        <ul>
          {mine.map((g) => (
            <li key={g.address}>
              <button type="button" className="contact" aria-label={`Group ${g.address}`} onClick={() => void actions.openGroup(account.id, g.address)}>
                <span className="contact-text">
                  <span className="contact-name">{g.address.split('@')[0]}</span>
                  <span className="contact-presence">{g.phase === 'member' ? `${g.members.length} members` : g.status}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {/* creating and joining are occasional: folded, so that the list of groups stays short */}
      <details className="groups-new">
        <summary>New or join a group</summary>
        <label htmlFor={ids.service}>Group service</label>
        <div className="row">
          <input id={ids.service} type="text" value={service} onChange={(e) => setService(e.target.value)} />
          <button type="button" disabled={!online} onClick={() => void create()}>
            New group
          </button>
        </div>
        <form aria-label="Join a group" onSubmit={(e) => void join(e)} noValidate>
          <label htmlFor={ids.address}>Group address</label>
          <div className="row">
            <input id={ids.address} type="text" placeholder="g-1234@groups.example" value={address} onChange={(e) => setAddress(e.target.value)} />
            <button type="submit" disabled={!online}>
              Join
            </button>
          </div>
        </form>
      </details>
      <ErrorAlert error={error} />
      {open && open.accountId === account.id && all[groupKey(open.accountId, open.address)] && (
        <GroupView group={all[groupKey(open.accountId, open.address)]!} />
      )}
    </section>
  );
}
