// Choosing which of an offline contact's devices get the messages that wait (issue 5). The
// contact's devices published prekey ensembles to their server's prekey server; each one lets us
// start a private conversation with that device now, without an answer (OTRv4 §"Non-interactive
// Deniable Authenticated Key Exchange (DAKE)"). The dialog lists the devices the core fetched
// (otr.offline.devices: one per instance tag, validated), with the device's key and whether we
// know or verified it, and sends to one device or to all of them (otr.offline.send).
//
// Deniability, said next to the devices, before anything is sent. OTRv4 §"Non-interactive
// Deniable Authenticated Key Exchange (DAKE)": it "does not provide online deniability for the
// party that completes the DAKE by sending a Non-Interactive-Auth message" — that is us, the one
// starting from the contact's prekeys (Alice in the spec's overview; §"Deniability": "the
// initiator (Bob ...) has online deniability, but Alice, the responder, does not"). Offline
// deniability stays for both (§"Deniability": "Both DAKEs ... provide offline deniability").
// Clients "are expected to decide how to convey this security loss to the participant".
import { useId, useState } from 'react';
import { Dialog } from '../ui/Dialog';
import type { OtrOfflineDevice, OtrOfflineDevices, OtrStatus } from '../../src-shared/ipc/otr-contract';
import { plainWords } from '../errors';
import { useOtr, useOtrState } from './context';
import { Fingerprint } from './Fingerprint';
import { otrKey } from './otr-store';

const expiryFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** what we know of the device's key: the words and a class for the colour */
function keyWords(d: OtrOfflineDevice): { words: string; hint: string; cls: string } {
  if (d.verified) return { words: 'Verified', hint: 'You verified this key.', cls: 'verified' };
  if (d.known) return { words: 'Seen before', hint: 'This key was used in an earlier private conversation; you have not verified it.', cls: 'known' };
  return { words: 'New key', hint: 'You have not seen this key before. Verify it once they answer.', cls: 'new' };
}

/** fetch the devices again (another retrieval from the contact's prekey server) */
function TryAgain({ onClick }: { onClick: () => void }) {
  return (
    <div className="row">
      <button type="button" onClick={onClick}>
        Try again
      </button>
    </div>
  );
}

/** why the contact has no devices to start with offline, in plain words (the core sends a code) */
function unavailableWords(why: OtrOfflineDevices['unavailable'], peer: string): string {
  switch (why) {
    case 'no-server':
      return `The server of ${peer} offers no OTRv4 prekey server, so a private conversation cannot start while ${peer} is offline.`;
    case 'none':
      return `${peer} has no devices ready to receive a private conversation while offline (nothing is published on their prekey server).`;
    case 'unusable':
      return `The prekey server of ${peer} sent nothing usable (expired or invalid); a private conversation cannot start while ${peer} is offline.`;
    case 'fingerprint-changed':
      return `The prekey server of ${peer}'s server presents a different key than before, so nothing was fetched from it. This happens when that server was reinstalled — or when someone is in between.`;
    default:
      return `${peer} has no devices to send to right now.`;
  }
}

export function OfflineDialog({ status }: { status: OtrStatus }) {
  const { actions } = useOtr();
  const { accountId, peer } = status;
  const chooser = useOtrState((s) => s.offline[otrKey(accountId, peer)]);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const listId = useId();
  if (!chooser) return null;

  const send = async (instanceTags: number[]) => {
    if (sending) return;
    setSending(true);
    setError(null);
    const r = await actions.offlineSend(accountId, peer, instanceTags);
    setSending(false);
    // on success the store closes the chooser, which unmounts this dialog
    if (!r.ok) setError(plainWords(r.error));
  };
  const close = () => {
    if (!sending) actions.closeOffline(accountId, peer);
  };
  const retry = () => {
    setError(null);
    void actions.offlineDevices(accountId, peer);
  };
  const waiting = status.queued === 1 ? 'the message that waits' : status.queued > 1 ? `the ${status.queued} messages that wait` : 'what you write';

  let body;
  if (chooser.phase === 'loading') {
    body = (
      <p role="status" aria-busy="true">
        Asking {peer}'s server for their devices…
      </p>
    );
  } else if (chooser.phase === 'error') {
    body = (
      <>
        <p role="alert" className="error">
          {plainWords(chooser.error)}
        </p>
        <TryAgain onClick={retry} />
      </>
    );
  } else if (chooser.devices.length === 0) {
    body = (
      <>
        <p role="status" data-testid="offline-unavailable">
          {unavailableWords(chooser.unavailable, peer)}
        </p>
        <p className="hint">Your messages keep waiting: they go out once {peer} is online and a private conversation is up.</p>
        <TryAgain onClick={retry} />
      </>
    );
  } else {
    const { devices } = chooser;
    body = (
      <>
        <p className="otr-deniability" data-testid="offline-deniability">
          <strong>Less deniable than usual.</strong> Started this way, the conversation does not give you online deniability: while it happens, {peer}'s side
          could help someone else get proof that you took part. Afterwards nobody can prove from the messages who wrote them (offline deniability stays, for
          both of you). If that matters, wait until {peer} is online.
        </p>
        <h3 id={listId}>{devices.length === 1 ? `${peer} has one device you can send to` : `${peer} has ${devices.length} devices you can send to`}</h3>
        <ul className="otr-offline-devices" aria-labelledby={listId}>
          {devices.map((d, i) => {
            const k = keyWords(d);
            return (
              <li key={d.instanceTag} aria-label={`Device ${i + 1}`} data-instance-tag={d.instanceTag}>
                <p>
                  <strong>Device {i + 1}</strong>{' '}
                  <span className={`otr-key-${k.cls}`} title={k.hint} data-key={k.cls}>
                    {k.words}
                  </span>{' '}
                  <span className="hint">(instance tag {d.instanceTag.toString(16).toUpperCase().padStart(8, '0')})</span>
                </p>
                <p>
                  Key: <Fingerprint hex={d.fingerprint} label={`Fingerprint of device ${i + 1}`} />
                </p>
                {!d.verified && <p className="hint">{k.hint}</p>}
                <p className="hint">Its keys are valid until {expiryFormat.format(new Date(d.expiresAt))}.</p>
                <div className="row">
                  <button type="button" className={devices.length === 1 ? 'primary' : ''} disabled={sending} onClick={() => void send([d.instanceTag])}>
                    Send to this device
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
        {devices.length > 1 && (
          <>
            <div className="row">
              <button type="button" disabled={sending} onClick={() => void send(devices.map((d) => d.instanceTag))}>
                Send to all devices
              </button>
            </div>
            {/* docs/otr-in-the-app.md "Offline start": many servers (Prosody among them) hand waiting messages to the device that comes online first only */}
            <p className="hint">
              Each device gets its own copy, but only if {peer}'s server hands waiting messages to every device; many give them only to the device that comes
              online first. If you know which device {peer} will use next, send to that one.
            </p>
          </>
        )}
        {sending && (
          <p role="status" aria-busy="true">
            Starting the private conversation…
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </>
    );
  }

  // the Dialog moves focus in and back, traps Tab, closes on Escape or a click outside (not while sending)
  return (
    <Dialog title={`Send privately to ${peer}'s devices`} onClose={close} busy={sending} className="otr-dialog">
      <p>
        {peer} is offline. If their devices left keys on their server, a private conversation can start now: {waiting} goes encrypted to the devices you choose,
        and so does what you write next, until {peer} answers.
      </p>
      {body}
      <div className="row">
        <button type="button" disabled={sending} onClick={close}>
          {chooser.phase === 'ready' && chooser.devices.length > 0 ? 'Cancel' : 'Close'}
        </button>
      </div>
    </Dialog>
  );
}
