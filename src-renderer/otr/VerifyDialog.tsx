// Verifying a contact (docs/architecture.md §6; OTRv3 §"Socialist Millionaires' Protocol", OTRv4 §"Socialist
// Millionaires Protocol (SMP)"), guiding both sides:
// - the asking side picks a way: a question only the contact can answer, a secret both know,
//   comparing safety numbers (SafetyNumber.tsx) or full fingerprints over another channel;
// - the asked side sees the question (or that a shared secret is wanted) and answers;
// - both see progress and the result in plain words. With a question only the asker learns who the
//   other is (Pidgin-OTR's semantics), so the answering side is invited to ask back.
import { useId, useRef, useState, type FormEvent } from 'react';
import type { OtrStatus } from '../../src-shared/ipc/otr-contract';
import type { Result } from '../../src-shared/ipc/result';
import { Dialog } from '../ui/Dialog';
import { useOtr } from './context';
import { Fingerprint } from './Fingerprint';
import { SafetyNumber } from './SafetyNumber';
import { ErrorAlert } from '../ui/ErrorAlert';

type Mode = 'question' | 'secret' | 'safety' | 'fingerprint';

export function VerifyDialog({ status, onClose }: { status: OtrStatus; onClose: () => void }) {
  const { actions } = useOtr();
  const { accountId, peer, smp } = status;
  const [mode, setMode] = useState<Mode>('question');
  const [question, setQuestion] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  // a result shown is the one of the run started or answered while this dialog is open
  const [fresh, setFresh] = useState(false);
  const titleId = useId();
  // "Show the full fingerprints" leaves with its button: focus goes to the mode it shows
  const radios = useRef<Partial<Record<Mode, HTMLInputElement | null>>>({});
  const ids = { q: useId(), a: useId(), s: useId(), f: useId() };

  const run = async (p: Promise<Result<unknown>>) => {
    setError(null);
    const r = await p;
    if (!r.ok) setError(r.error.message);
    else {
      setSecret('');
      setFresh(true);
    }
  };

  const submitAsk = (e: FormEvent) => {
    e.preventDefault();
    if (mode === 'question') void run(actions.askQuestion(accountId, peer, question.trim(), secret));
    else void run(actions.sharedSecret(accountId, peer, secret));
  };
  const submitAnswer = (e: FormEvent) => {
    e.preventDefault();
    void run(actions.answer(accountId, peer, secret));
  };
  const cancel = () => {
    if (smp.phase === 'waiting' || smp.phase === 'asked' || smp.phase === 'in-progress') void actions.abortSmp(accountId, peer);
    onClose();
  };

  let body;
  if (status.state !== 'private-unverified' && status.state !== 'private-verified') {
    body = <p>Start a private conversation with {peer} first; verification runs inside it.</p>;
  } else if (smp.phase === 'asked') {
    body = (
      <form onSubmit={submitAnswer} aria-label="Answer the verification">
        {smp.question !== undefined ? (
          <>
            <p>{peer} wants to make sure it is really you, and asks:</p>
            <blockquote className="otr-question" data-testid="smp-question">
              {smp.question}
            </blockquote>
          </>
        ) : (
          <p>{peer} wants to verify the conversation with a secret you both know. Type the same secret.</p>
        )}
        <label htmlFor={ids.a}>{smp.question !== undefined ? 'Your answer' : 'The secret'}</label>
        <input id={ids.a} type="text" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} required />
        <p className="hint">Answers must match exactly (including upper and lower case and spaces).</p>
        <ErrorAlert error={error} />
        <div className="row">
          <button type="submit" className="primary">
            Answer
          </button>
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        </div>
      </form>
    );
  } else if (smp.phase === 'waiting' || smp.phase === 'in-progress') {
    body = (
      <>
        <p role="status" aria-busy="true">
          {smp.phase === 'waiting' ? `Waiting for ${peer} to answer…` : 'Checking the answers…'}
        </p>
        {smp.question !== undefined && <p className="hint">Your question: {smp.question}</p>}
        <div className="row">
          <button type="button" onClick={cancel}>
            Cancel verification
          </button>
        </div>
      </>
    );
  } else if (fresh && smp.phase === 'succeeded') {
    const verifiedThem = smp.initiatedByUs || smp.question === undefined;
    body = (
      <>
        <p role="status" className="otr-success" data-smp-result="succeeded">
          {verifiedThem ? `Verification succeeded: ${peer} is verified.` : `You answered correctly: ${peer} has verified you.`}
        </p>
        {!verifiedThem && <p>To verify {peer} in turn, ask them a question of your own.</p>}
        <div className="row">
          {!verifiedThem && (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setFresh(false);
                setMode('question');
              }}
            >
              Ask a question
            </button>
          )}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </>
    );
  } else if (fresh && (smp.phase === 'failed' || smp.phase === 'aborted')) {
    body = (
      <>
        <p role="alert" className="otr-failure" data-smp-result={smp.phase}>
          {smp.phase === 'aborted'
            ? 'The verification was cancelled.'
            : `Verification failed. Either the answers did not match exactly, or you are not talking to ${peer}. Try again, or compare fingerprints another way.`}
        </p>
        <div className="row">
          <button type="button" className="primary" onClick={() => setFresh(false)}>
            Try again
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </>
    );
  } else {
    const theirs = status.theirFingerprint;
    // versions 2 and 3 authenticate with the DSA key (OTRv3 §"Authenticated Key Exchange")
    const ours = status.version === 4 ? status.ourFingerprints.v4 : status.ourFingerprints.v3;
    body = (
      <>
        <fieldset className="otr-modes">
          <legend>How do you want to verify {peer}?</legend>
          {(
            [
              ['question', 'Ask a question only they can answer'],
              ['secret', 'Use a secret you both know'],
              ['safety', 'Compare safety numbers'],
              ['fingerprint', 'Compare fingerprints'],
            ] as const
          ).map(([m, label]) => (
            <label key={m} className="check">
              <input
                ref={(el) => {
                  radios.current[m] = el;
                }}
                type="radio"
                name={`${titleId}-mode`}
                value={m}
                checked={mode === m}
                onChange={() => setMode(m)}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        {mode === 'safety' ? (
          <>
            {theirs ? (
              <SafetyNumber
                peer={peer}
                ours={ours}
                theirs={theirs}
                verified={status.state === 'private-verified'}
                onMatch={(verified) => void run(actions.setTrust(accountId, peer, theirs, verified))}
                onShowFingerprints={() => {
                  setMode('fingerprint');
                  radios.current.fingerprint?.focus();
                }}
              />
            ) : (
              <p>{peer}'s key is not known yet.</p>
            )}
            <ErrorAlert error={error} />
            <div className="row">
              <button type="button" onClick={onClose}>
                Close
              </button>
            </div>
          </>
        ) : mode === 'fingerprint' ? (
          <div className="otr-compare">
            <p>Compare these over another channel you trust (in person, or a phone call where you recognise the voice).</p>
            <p>
              Your fingerprint: <Fingerprint hex={ours} label="Your fingerprint" />
            </p>
            {theirs && (
              <p>
                {peer}'s fingerprint: <Fingerprint hex={theirs} label={`${peer}'s fingerprint`} />
              </p>
            )}
            {theirs && (
              <label htmlFor={ids.f} className="check">
                <input
                  id={ids.f}
                  type="checkbox"
                  checked={status.state === 'private-verified'}
                  onChange={(e) => void run(actions.setTrust(accountId, peer, theirs, e.target.checked))}
                />{' '}
                I have checked that {peer}'s fingerprint is exactly this one
              </label>
            )}
            <ErrorAlert error={error} />
            <div className="row">
              <button type="button" onClick={onClose}>
                Close
              </button>
            </div>
          </div>
        ) : (
          <form onSubmit={submitAsk} aria-label="Start the verification">
            {mode === 'question' && (
              <>
                <p className="hint">Pick a question whose answer only {peer} knows and that cannot be guessed or looked up.</p>
                <label htmlFor={ids.q}>Question</label>
                <input id={ids.q} type="text" value={question} onChange={(e) => setQuestion(e.target.value)} required maxLength={500} />
              </>
            )}
            <label htmlFor={ids.s}>{mode === 'question' ? 'Answer' : 'Shared secret'}</label>
            <input id={ids.s} type="text" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} required maxLength={1000} />
            <p className="hint">
              {mode === 'question' ? `${peer} must type exactly this answer.` : `${peer} must type exactly the same secret.`} Nothing of it is sent: only a
              proof that both are equal.
            </p>
            <ErrorAlert error={error} />
            <div className="row">
              <button type="submit" className="primary">
                {mode === 'question' ? 'Ask' : 'Start'}
              </button>
              <button type="button" onClick={onClose}>
                Close
              </button>
            </div>
          </form>
        )}
      </>
    );
  }

  // Escape, a click outside and Close all cancel a verification under way (as Cancel does)
  return (
    <Dialog title={`Verify ${peer}`} onClose={cancel} className="otr-dialog">
      {body}
    </Dialog>
  );
}
