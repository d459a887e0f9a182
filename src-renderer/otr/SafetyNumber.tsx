// "Compare safety numbers" in the verify dialog (issue 15, "Verification"): 60 digits both sides
// compute the same from the two fingerprints (src-shared/ipc/safety-number.ts, construction in
// docs/otr-in-the-app.md §"Safety numbers"), and a QR code of them. "They match" marks the
// contact's fingerprint verified exactly as the fingerprint comparison does (otr.trust.set); the
// full fingerprints stay one click away.
import { useEffect, useState } from 'react';
import { formatSafetyNumber, safetyNumber } from '../../src-shared/ipc/safety-number';
import { QrCode } from './QrCode';

export interface SafetyNumberProps {
  peer: string;
  ours: string;
  theirs: string;
  verified: boolean;
  onMatch: (verified: boolean) => void;
  onShowFingerprints: () => void;
}

export function SafetyNumber({ peer, ours, theirs, verified, onMatch, onShowFingerprints }: SafetyNumberProps) {
  const [digits, setDigits] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    setDigits(null);
    safetyNumber(ours, theirs).then(
      (d) => live && setDigits(d),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [ours, theirs]);

  if (failed) return <p role="alert">The safety number cannot be computed for these keys. Compare the full fingerprints instead.</p>;
  if (digits === null) return <p aria-busy="true">Computing the safety number…</p>;
  return (
    <div className="otr-safety">
      <p>
        Compare these digits with the ones {peer} sees, over another channel you trust (in person, or a phone call where you recognise the voice), or scan the
        code on their screen. Both of you see the same number.
      </p>
      <div className="otr-safety-pair">
        <div className="otr-safety-number" role="group" aria-label={`Safety number with ${peer}`} data-safety-number={digits}>
          {formatSafetyNumber(digits).map((g, i) => (
            <span key={i}>{g}</span>
          ))}
        </div>
        <QrCode digits={digits} label={`QR code of the safety number with ${peer}`} />
      </div>
      {verified ? (
        <p role="status" className="otr-success">
          {peer} is verified.
        </p>
      ) : (
        <p className="hint">If a single digit differs, do not mark them: someone may be in between. Ask {peer} to check with you again.</p>
      )}
      <div className="row">
        {/* one button that changes its words, so focus stays on it when the trust changes */}
        <button type="button" className={verified ? undefined : 'primary'} onClick={() => onMatch(!verified)}>
          {verified ? 'Mark as not verified' : 'They match'}
        </button>
        <button type="button" onClick={onShowFingerprints}>
          Show the full fingerprints
        </button>
      </div>
    </div>
  );
}
