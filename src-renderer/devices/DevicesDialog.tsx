// The devices page (issue 15, "Devices"; core: src-main/core/otr/devices.ts): for a contact, or for
// oneself, each device (OTR instance tag) that took part in a private conversation, with first and
// last seen, its key's fingerprint, verified or not, and "Forget this device". Devices not seen
// for a while are marked stale and listed after the active ones (the core orders them), so a
// removed installation no longer sits first as "Verified". Opened from the conversation's Privacy
// menu and from the account in the sidebar. With two or more of the contact's devices in the
// private conversation (issue 13), each has "Send my messages to this device" (otr.devices.choose).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { OtrDevice, OtrDevices } from '../../src-shared/ipc/otr-contract';
import { useOtr, useOtrStatus } from '../otr/context';
import { Fingerprint } from '../otr/Fingerprint';
import { Dialog } from '../ui/Dialog';
import './devices.css';
import { ErrorAlert } from '../ui/ErrorAlert';

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "Device 3F2A1B00": the instance tag, as OTR clients show it, in upper-case hex */
const tagWords = (tag: number) => tag.toString(16).toUpperCase().padStart(8, '0');

/** the name its client gave itself (its XMPP resource) where known, and the instance tag */
const deviceName = (d: OtrDevice) =>
  d.thisDevice ? 'This device' : d.name ? `${d.name} (device ${tagWords(d.instanceTag)})` : `Device ${tagWords(d.instanceTag)}`;

/** issue 13: the checkbox "Send my messages to this device", for a device with a private session */
interface Receives {
  checked: boolean;
  /** the last device left checked cannot be unchecked (messages must go somewhere) */
  disabled: boolean;
  onChange: (checked: boolean) => void;
}

function DeviceItem({ d, own, onForget, receives }: { d: OtrDevice; own: boolean; onForget: (d: OtrDevice) => void; receives?: Receives | undefined }) {
  const name = deviceName(d);
  const boxId = `receives-${d.instanceTag}`;
  return (
    <li aria-label={name} className={d.stale ? 'device stale' : 'device'} data-instance-tag={d.instanceTag} data-stale={d.stale}>
      <h3>
        {name} <span className={d.verified ? 'device-verified' : 'device-unverified'}>{d.verified ? 'Verified' : 'Not verified'}</span>
        {d.stale && <span className="device-stale"> · Stale: not seen for a while</span>}
      </h3>
      <dl>
        <dt>First seen</dt>
        <dd>{when(d.firstSeen)}</dd>
        <dt>Last seen</dt>
        <dd>{d.thisDevice ? 'Now' : when(d.lastSeen)}</dd>
        <dt>Fingerprint (OTRv{d.version})</dt>
        <dd>
          <Fingerprint hex={d.fingerprint} label={`Fingerprint of ${name}`} />
        </dd>
      </dl>
      {receives && (
        <p className="device-receives">
          <input
            id={boxId}
            type="checkbox"
            checked={receives.checked}
            disabled={receives.disabled}
            aria-describedby={receives.disabled ? `${boxId}-why` : undefined}
            onChange={(e) => receives.onChange(e.currentTarget.checked)}
          />
          <label htmlFor={boxId}>Send my messages to this device</label>
          {receives.disabled && (
            <span id={`${boxId}-why`} className="hint">
              {' '}
              (at least one device gets them)
            </span>
          )}
        </p>
      )}
      {!d.thisDevice && (
        <button type="button" className="danger" onClick={() => onForget(d)}>
          Forget this device
        </button>
      )}
      {!d.thisDevice && !d.verified && !own && (
        <p className="hint">Verify this key from the conversation (Privacy → Verify contact) while this device is in use.</p>
      )}
    </li>
  );
}

/** `peer` undefined: one's own devices (`accountJid` names the account) */
export function DevicesDialog({ accountId, peer, accountJid, onClose }: { accountId: string; peer?: string; accountJid?: string; onClose: () => void }) {
  const { actions } = useOtr();
  const [page, setPage] = useState<OtrDevices | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [forgetting, setForgetting] = useState<OtrDevice | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  // the destructive choice is never one Enter away: Cancel takes the focus when asked
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (forgetting) cancelRef.current?.focus();
  }, [forgetting]);

  const load = useCallback(async () => {
    const r = await actions.devices(accountId, peer);
    if (r.ok) setPage(r.value);
    else setError(r.error.message);
  }, [actions, accountId, peer]);
  useEffect(() => {
    void load();
  }, [load]);

  const forget = async (d: OtrDevice) => {
    setError(null);
    const r = await actions.forgetDevice(accountId, peer, d.instanceTag);
    setForgetting(null);
    if (r.ok) setPage(r.value);
    else setError(r.error.message);
    // the confirmation's buttons are gone: the list takes the focus
    listRef.current?.focus();
  };

  // issue 13: with two or more devices in the private conversation, the user picks which get what they write
  const status = useOtrStatus(accountId, peer ?? '');
  const sessionDevices = peer !== undefined ? status?.sessionDevices : undefined;
  // the box flips at once; the core's status (pushed after the request) then confirms or undoes it
  const [flipped, setFlipped] = useState<ReadonlyMap<number, boolean>>(new Map());
  useEffect(() => setFlipped(new Map()), [sessionDevices]);
  const sessions = (sessionDevices ?? []).map((x) => ({ instanceTag: x.instanceTag, receives: flipped.get(x.instanceTag) ?? x.receives }));
  const receiving = sessions.filter((x) => x.receives).map((x) => x.instanceTag);
  const receivesFor = (d: OtrDevice): Receives | undefined => {
    const s = sessions.find((x) => x.instanceTag === d.instanceTag);
    if (!s || peer === undefined || sessions.length < 2) return undefined;
    return {
      checked: s.receives,
      disabled: s.receives && receiving.length === 1,
      onChange: (checked) => {
        const next = checked ? [...receiving, d.instanceTag] : receiving.filter((t) => t !== d.instanceTag);
        setError(null);
        setFlipped((m) => new Map(m).set(d.instanceTag, checked));
        // every device chosen is no choice: devices that join later get messages too
        void actions.chooseDevices(accountId, peer, next.length === sessions.length ? null : next).then((r) => {
          if (r.ok) return;
          setFlipped(new Map());
          setError(r.error.message);
        });
      },
    };
  };

  const title = peer === undefined ? (accountJid ? `Your devices (${accountJid})` : 'Your devices') : `Devices of ${peer}`;
  return (
    <Dialog closeButton title={title} onClose={forgetting ? () => setForgetting(null) : onClose} className="devices-dialog">
      <p className="hint">
        {peer === undefined
          ? 'The installations of this account that took part in a private conversation.'
          : `${peer}'s installations that took part in a private conversation with you.`}
        {page && ` A device not seen for ${page.staleAfterDays} days is marked stale and listed last.`}
      </p>
      <div ref={listRef} tabIndex={-1} className="devices-list">
        {page === null && !error && <p aria-busy="true">Loading devices…</p>}
        {page && page.devices.length === 0 && <p>No devices yet: they appear once a private conversation has run.</p>}
        {page && page.devices.length > 0 && (
          <ul aria-label="Devices">
            {page.devices.map((d) => (
              <DeviceItem key={d.instanceTag} d={d} own={page.own} onForget={setForgetting} receives={receivesFor(d)} />
            ))}
          </ul>
        )}
      </div>
      {forgetting && (
        <div role="group" aria-label="Forget this device?" className="devices-confirm">
          <p>Forget {deviceName(forgetting)}? Its record and the trust in its key go. If it comes back, it is a new device whose key must be verified again.</p>
          <div className="row">
            <button type="button" className="danger" onClick={() => void forget(forgetting)}>
              Forget
            </button>
            <button type="button" onClick={() => setForgetting(null)} ref={cancelRef}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorAlert error={error} />
    </Dialog>
  );
}
