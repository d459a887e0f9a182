// A fingerprint in the usual grouped form (upper-case hex in groups of 8), selectable for copying.
import { formatFingerprint } from '../../src-shared/ipc/otr-contract';

export function Fingerprint({ hex, label }: { hex: string; label?: string }) {
  return (
    <code className="otr-fingerprint" aria-label={label} data-fingerprint={hex}>
      {formatFingerprint(hex)}
    </code>
  );
}
