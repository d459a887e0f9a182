// Per-contact OTR settings: the policy (OTRv3 §"Policies": manual / opportunistic / always) for
// this contact or the account, and every key (fingerprint) this contact has used, with its trust.
import { useEffect, useId, useState } from 'react';
import { Dialog } from '../ui/Dialog';
import type { OtrPolicyName, OtrStatus } from '../../src-shared/ipc/otr-contract';
import { useOtr, useOtrState } from './context';
import { Fingerprint } from './Fingerprint';
import { otrKey } from './otr-store';
import { ErrorAlert } from '../ui/ErrorAlert';

const policyWords: Record<OtrPolicyName, string> = {
  manual: 'Manual: private only when someone starts it',
  opportunistic: 'Opportunistic: start privately whenever the other side can',
  always: 'Always private: never send anything unencrypted',
};

/**
 * `accountJid`: given when the window has several accounts, to say whose fingerprints and whose
 * account policy these are (each account has its own OTR keys and policy).
 */
export function OtrSettings({ status, accountJid, onClose }: { status: OtrStatus; accountJid?: string; onClose: () => void }) {
  const { actions } = useOtr();
  const { accountId, peer } = status;
  const fps = useOtrState((s) => s.fingerprints[otrKey(accountId, peer)]);
  const [error, setError] = useState<string | null>(null);
  const ids = { contact: useId(), account: useId(), v2: useId() };
  useEffect(() => {
    void actions.loadFingerprints(accountId, peer);
  }, [actions, accountId, peer, status.theirFingerprint, status.state]);

  const run = async (p: Promise<{ ok: boolean; error?: { message: string } }>) => {
    setError(null);
    const r = await p;
    if (!r.ok) setError(r.error?.message ?? 'That did not work.');
  };
  return (
    <Dialog closeButton title={`Privacy settings for ${peer}`} onClose={onClose} className="otr-dialog otr-settings">
      <label htmlFor={ids.contact}>Policy for {peer}</label>
      <select
        id={ids.contact}
        value={status.policyOverridden ? status.policy : ''}
        onChange={(e) => void run(actions.setPolicy(accountId, peer, e.target.value === '' ? null : (e.target.value as OtrPolicyName)))}
      >
        <option value="">{status.policyOverridden ? 'Same as the account' : `Same as the account (${policyWords[status.policy].split(':')[0]})`}</option>
        {(Object.keys(policyWords) as OtrPolicyName[]).map((p) => (
          <option key={p} value={p}>
            {policyWords[p]}
          </option>
        ))}
      </select>
      <label htmlFor={ids.account}>{accountJid ? `Policy for your account ${accountJid}` : 'Policy for the account'}</label>
      <select
        id={ids.account}
        defaultValue=""
        onChange={(e) => e.target.value && void run(actions.setPolicy(accountId, undefined, e.target.value as OtrPolicyName))}
      >
        <option value="" disabled>
          Choose…
        </option>
        {(Object.keys(policyWords) as OtrPolicyName[]).map((p) => (
          <option key={p} value={p}>
            {policyWords[p]}
          </option>
        ))}
      </select>
      <div className="check">
        <input
          id={ids.v2}
          type="checkbox"
          checked={status.allowV2 !== false}
          onChange={(e) => void run(actions.setAllowV2(accountId, peer, e.target.checked))}
        />
        <div>
          <label htmlFor={ids.v2}>Allow the older OTR version 2 (Profanity){accountJid ? ` for ${accountJid}` : ''}</label>
          <span className="hint">Only with clients that speak nothing newer; one device of the contact at a time.</span>
        </div>
      </div>
      <ErrorAlert error={error} />
      <h3>{accountJid ? `Your fingerprints as ${accountJid}` : 'Your fingerprints'}</h3>
      <p>
        OTRv4: <Fingerprint hex={status.ourFingerprints.v4} label="Your OTRv4 fingerprint" />
      </p>
      <p>
        OTRv3: <Fingerprint hex={status.ourFingerprints.v3} label="Your OTRv3 fingerprint" />
      </p>
      <h3>Keys {peer} has used</h3>
      {!fps || fps.theirs.length === 0 ? (
        <p className="hint">None yet: they appear after the first private conversation.</p>
      ) : (
        <ul className="otr-keys">
          {fps.theirs.map((f) => (
            <li key={f.fingerprint}>
              <Fingerprint hex={f.fingerprint} />{' '}
              <span className="hint">
                OTRv{f.version}
                {f.fingerprint === status.theirFingerprint ? ', in use now' : ''}
              </span>{' '}
              <label className="check">
                <input type="checkbox" checked={f.verified} onChange={(e) => void run(actions.setTrust(accountId, peer, f.fingerprint, e.target.checked))} />{' '}
                Verified
              </label>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
