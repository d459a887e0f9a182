// The Socialist Millionaires' Protocol for the UI (OTRv3 §"The Socialist Millionaires' Protocol
// (SMP)", OTRv4 §"Socialist Millionaires Protocol (SMP)"): the user's question/secret in, the
// phase the header shows out, and the fingerprint verified when it succeeded.
import type { OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { EngineOutput, SmpEvent } from '../../../src-shared/otr/api';
import { OtrError } from '../../../src-shared/otr/common/errors';
import type { Notices } from './notices';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';
import type { StatusReporter } from './status';

export interface SmpDeps {
  accountId: string;
  store: OtrStore;
  peers: Peers;
  notices: Notices;
  status: StatusReporter;
  /** otr/dispatch.ts handle */
  handle(ps: PeerState, out: EngineOutput, to: string): void;
}

export interface Smp {
  /** an SMP event of the library (from dispatch) */
  onEvent(ps: PeerState, ev: SmpEvent): void;
  start(peer: string, secret: string, question?: string): OtrStatus;
  answer(peer: string, secret: string): OtrStatus;
  abort(peer: string): OtrStatus;
}

/** a library refusal (e.g. SMP already running) as a typed error for the renderer */
function otrCall(f: () => EngineOutput): EngineOutput {
  try {
    return f();
  } catch (e) {
    if (e instanceof OtrError) throw new MessengerError('otr-error', e.message);
    throw e;
  }
}

export function createSmp(deps: SmpDeps): Smp {
  const { accountId, store, peers, notices, status } = deps;

  const requireEncrypted = (ps: PeerState) => {
    const s = peers.encryptedSession(ps);
    if (!s) throw new MessengerError('otr-error', `The conversation with ${ps.peer} is not private; start a private conversation first.`);
    return s;
  };

  return {
    onEvent(ps, ev) {
      const fp = peers.encryptedSession(ps)?.theirFingerprint;
      switch (ev.type) {
        case 'smp-request':
          ps.smp = {
            phase: 'asked',
            initiatedByUs: false,
            ...(ev.question !== undefined ? { question: ev.question } : {}),
            ...(fp ? { fingerprint: fp } : {}),
          };
          break;
        case 'smp-progress':
          // step 1 is our own first message; from step 2 on the contact has answered
          if (ps.smp.phase === 'waiting' && ev.step >= 2) ps.smp = { ...ps.smp, phase: 'in-progress' };
          break;
        case 'smp-succeeded': {
          const smp = ps.smp;
          ps.smp = { ...smp, phase: 'succeeded' };
          // Pidgin-OTR semantics: a shared secret authenticates both sides; with a question only
          // the side that asked learns that the other side is who it thinks it is.
          const authenticates = smp.question === undefined || smp.initiatedByUs;
          const key = smp.fingerprint ?? fp;
          if (authenticates && key) store.setVerified(accountId, ps.peer, key, true);
          notices.raise(ps.peer, { kind: 'smp-succeeded', verifiedThem: authenticates });
          break;
        }
        case 'smp-failed':
        case 'smp-cheated':
          ps.smp = { ...ps.smp, phase: 'failed', ...(ev.type === 'smp-cheated' ? { cheated: true } : {}) };
          notices.raise(ps.peer, { kind: 'smp-failed' });
          break;
        case 'smp-aborted':
          ps.smp = { ...ps.smp, phase: 'aborted' };
          break;
      }
    },

    start(peer, secret, question) {
      const ps = peers.state(peer);
      const s = requireEncrypted(ps);
      ps.smp = {
        phase: 'waiting',
        initiatedByUs: true,
        ...(question !== undefined ? { question } : {}),
        ...(s.theirFingerprint ? { fingerprint: s.theirFingerprint } : {}),
      };
      deps.handle(
        ps,
        otrCall(() => ps.conv.startSmp(secret, question, s.instanceTag)),
        peers.addressOf(ps, s.instanceTag),
      );
      return status.emit(ps);
    },

    answer(peer, secret) {
      const ps = peers.state(peer);
      const s = requireEncrypted(ps);
      if (ps.smp.phase !== 'asked') throw new MessengerError('invalid-argument', `${peer} has not asked you to verify anything.`);
      ps.smp = { ...ps.smp, phase: 'in-progress' };
      deps.handle(
        ps,
        otrCall(() => ps.conv.answerSmp(secret, s.instanceTag)),
        peers.addressOf(ps, s.instanceTag),
      );
      return status.emit(ps);
    },

    abort(peer) {
      const ps = peers.state(peer);
      const s = peers.encryptedSession(ps);
      if (s)
        deps.handle(
          ps,
          otrCall(() => ps.conv.abortSmp(s.instanceTag)),
          peers.addressOf(ps, s.instanceTag),
        );
      ps.smp = { ...ps.smp, phase: 'aborted' };
      return status.emit(ps);
    },
  };
}
