// The per-message marker: whether this message travelled inside a private (OTR) session.
export function EncryptedMarker({ encrypted, waiting }: { encrypted: boolean; waiting?: boolean }) {
  if (waiting) {
    return (
      <span className="enc waiting" title="Waits for a private conversation; it is not sent unencrypted.">
        Waiting for a private conversation
      </span>
    );
  }
  return (
    <span className={`enc ${encrypted ? 'on' : 'off'}`} title={encrypted ? 'Sent inside a private (OTR) conversation' : 'Sent without encryption'}>
      {encrypted ? 'Encrypted' : 'Not encrypted'}
    </span>
  );
}
