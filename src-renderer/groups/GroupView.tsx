// One open group: its address to share, its state ("Waiting for a member who knows your key"),
// the members with their hello_i_am names and whether the user verified each key, the timeline
// with per-member attribution, compose, leave, remove (creator and admins), "make admin" (the
// creator) and muting the group's notifications.
import { useId, useState, type FormEvent } from 'react';
import type { GroupInfo, GroupMemberInfo } from '../../src-shared/ipc/groups-contract';
import { useNotifyPrefs } from '../notify/prefs';
import { useGroups, useGroupsState } from './context';
import { groupMuteKey } from './group-notifier';
import { groupKey } from './groups-store';
import { ErrorAlert } from '../ui/ErrorAlert';

const short = (fp: string) => `${fp.slice(0, 8).toUpperCase()} ${fp.slice(8, 16).toUpperCase()}`;
const who = (m: GroupMemberInfo | undefined, fp: string) => (m?.me ? 'You' : (m?.name ?? short(fp)));

export function GroupView({ group }: { group: GroupInfo }) {
  const { actions } = useGroups();
  const key = groupKey(group.accountId, group.address);
  const timeline = useGroupsState((s) => s.timelines[key]);
  const notices = useGroupsState((s) => s.notices[key]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const ids = { title: useId(), compose: useId() };
  const byFp = new Map(group.members.map((m) => [m.fingerprint, m]));
  const muteKey = groupMuteKey(group.accountId, group.address);
  const muted = useNotifyPrefs((p) => p.muted[muteKey] === true);
  const setMuted = useNotifyPrefs((p) => p.setMuted);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setError(null);
    const r = await actions.send(group.accountId, group.address, text);
    if (r.ok) setText('');
    else setError(r.error.message);
  };
  const act = async (f: () => Promise<{ ok: boolean; error?: { message: string } }>) => {
    setError(null);
    const r = await f();
    if (!r.ok) setError(r.error?.message ?? 'failed');
  };

  return (
    <div className="group-view" role="dialog" aria-labelledby={ids.title}>
      <div className="row">
        <h2 id={ids.title}>Group {group.address.split('@')[0]}</h2>
        <button type="button" className="link" onClick={() => actions.close()}>
          Close
        </button>
      </div>
      <p className="hint">
        Address to share: <code aria-label="Group address">{group.address}</code>
      </p>
      {group.status && (
        <p role="status" className="group-status">
          {group.status}
        </p>
      )}
      {group.rekeyPending && <p role="status">Waiting for the new group key after a member left…</p>}
      {(notices ?? []).map((n, i) => (
        <p key={i} className="notice" role="alert">
          {n}
        </p>
      ))}
      {group.members.length > 0 && (
        <section aria-label="Members">
          <h3>Members</h3>
          <ul className="group-members">
            {group.members.map((m) => (
              <li key={m.fingerprint} aria-label={`Member ${who(m, m.fingerprint)}`}>
                <span>{who(m, m.fingerprint)}</span> <code title={m.fingerprint}>{short(m.fingerprint)}</code>{' '}
                <span className={m.verified ? 'verified' : 'unverified'}>{m.me ? '' : m.verified ? 'Verified by you' : 'Not verified by you'}</span>
                {m.admin && <span> · admin</span>}
                {group.canNameAdmins && !m.me && (
                  <button
                    type="button"
                    className="link"
                    aria-label={`${m.admin ? 'Remove admin right of' : 'Make admin'} ${who(m, m.fingerprint)}`}
                    onClick={() => void act(() => actions.setAdmin(group.accountId, group.address, m.fingerprint, !m.admin))}
                  >
                    {m.admin ? 'Remove admin' : 'Make admin'}
                  </button>
                )}
                {group.canRemove && !m.me && !m.admin && (
                  <button
                    type="button"
                    className="link"
                    aria-label={`Remove ${who(m, m.fingerprint)}`}
                    onClick={() => void act(() => actions.remove(group.accountId, group.address, m.fingerprint))}
                  >
                    Remove
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-label="Group messages">
        <ol className="group-timeline">
          {(timeline ?? []).map((m) => (
            <li key={m.id} className={m.mine ? 'mine' : 'theirs'}>
              <strong>{m.mine ? 'You' : who(byFp.get(m.sender), m.sender)}</strong>: <span>{m.body}</span>
            </li>
          ))}
        </ol>
      </section>
      {group.phase === 'member' && (
        <form aria-label="Write to the group" onSubmit={(e) => void send(e)}>
          <label htmlFor={ids.compose} className="sr-only">
            Message to the group
          </label>
          <div className="row">
            <input id={ids.compose} type="text" value={text} onChange={(e) => setText(e.target.value)} />
            <button type="submit" disabled={group.rekeyPending}>
              Send
            </button>
          </div>
        </form>
      )}
      <label className="row">
        <input type="checkbox" checked={muted} onChange={(e) => setMuted(muteKey, e.target.checked)} /> Mute notifications of this group
      </label>
      {group.phase === 'member' && (
        <button type="button" className="link" onClick={() => void act(() => actions.leave(group.accountId, group.address))}>
          Leave group
        </button>
      )}
      <ErrorAlert error={error} />
    </div>
  );
}
