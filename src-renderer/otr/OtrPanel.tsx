// The OTR part of a conversation's header: the state badge and ONE privacy control, a menu (start /
// refresh / restart / end the private conversation, verify, devices, privacy settings, mute). What happens
// in the private conversation (notices, waiting messages) is in the timeline
// (src-renderer/timeline), not here, so the header never grows. The dialogs (verification — opened
// by itself when the contact asks us to verify —, privacy settings, the offline devices chooser)
// are mounted here.
import { useEffect, useState } from 'react';
import { DevicesDialog } from '../devices/DevicesDialog';
import { Menu, type MenuItem } from '../ui/Menu';
import { useOtr, useOtrStatus } from './context';
import { useOtrDialog } from './dialogs';
import { OfflineDialog } from './OfflineDialog';
import { OtrBadge } from './OtrBadge';
import { OtrSettings } from './OtrSettings';
import { otrKey } from './otr-store';
import { VerifyDialog } from './VerifyDialog';

/**
 * `accountJid`: our account's address, given when the window has several accounts (the settings
 * then say which account's keys and policy they show). `extraItems`: more entries of the menu
 * (e.g. mute notifications), after the privacy ones.
 */
export function OtrPanel({ accountId, peer, accountJid, extraItems = [] }: { accountId: string; peer: string; accountJid?: string; extraItems?: MenuItem[] }) {
  const { actions } = useOtr();
  const status = useOtrStatus(accountId, peer);
  const key = otrKey(accountId, peer);
  const dialog = useOtrDialog((s) => (s.open?.key === key ? s.open.which : null));
  const show = useOtrDialog((s) => s.show);
  const close = useOtrDialog((s) => s.close);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void actions.load(accountId, peer);
  }, [actions, accountId, peer]);
  // the contact asked us to verify: open the dialog so the question is seen
  const asked = status?.smp.phase === 'asked';
  useEffect(() => {
    if (asked) show(key, 'verify');
  }, [asked, key, show]);

  if (!status) return null;
  const isPrivate = status.state === 'private-unverified' || status.state === 'private-verified';
  const act = async (p: Promise<{ ok: boolean; error?: { message: string } }>) => {
    setError(null);
    const r = await p;
    if (!r.ok) setError(r.error?.message ?? 'That did not work.');
  };
  const items: MenuItem[] = [];
  if (status.state === 'not-private') items.push({ label: 'Start private conversation', onSelect: () => void act(actions.start(accountId, peer)) });
  if (status.state === 'finished') items.push({ label: 'Restart private conversation', onSelect: () => void act(actions.start(accountId, peer)) });
  if (isPrivate) {
    items.push({ label: status.state === 'private-verified' ? 'Verification…' : 'Verify contact', onSelect: () => show(key, 'verify') });
    items.push({ label: 'Refresh private conversation', onSelect: () => void act(actions.start(accountId, peer)) });
  }
  if (status.state !== 'not-private') items.push({ label: 'End private conversation', onSelect: () => void act(actions.end(accountId, peer)) });
  items.push({ label: 'Devices…', onSelect: () => show(key, 'devices') });
  items.push({ label: 'Privacy settings…', onSelect: () => show(key, 'settings') });
  items.push(...extraItems);
  return (
    <div className="otr-panel">
      <OtrBadge state={status.state} version={status.version} />
      <Menu label="Privacy" items={items} className="privacy-menu">
        <span aria-hidden="true">Privacy ▾</span>
      </Menu>
      {error && (
        <p className="error otr-panel-error" role="alert">
          {error}
        </p>
      )}
      {dialog === 'settings' && <OtrSettings status={status} accountJid={accountJid} onClose={close} />}
      {dialog === 'verify' && <VerifyDialog status={status} onClose={close} />}
      {dialog === 'devices' && <DevicesDialog accountId={accountId} peer={peer} onClose={close} />}
      <OfflineDialog status={status} />
    </div>
  );
}
