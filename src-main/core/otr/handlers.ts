// The core's answers to the OTR requests of the IPC contract (src-shared/ipc/otr-contract.ts).
// Inputs arrive parsed by their zod schemas (dispatch.ts); `account` throws not-found for an
// unknown account. The OTR operations run in order with the account's incoming traffic.
import type { OtrParsedRequest, OtrRequestName, OtrRequestOutputs } from '../../../src-shared/ipc/otr-contract';
import type { OtrAccount } from './account';

export type OtrRequestHandlers = { [K in OtrRequestName]: (input: OtrParsedRequest<K>) => Promise<OtrRequestOutputs[K]> };

export function otrRequestHandlers(account: (accountId: string) => OtrAccount): OtrRequestHandlers {
  return {
    'otr.status': ({ accountId, peer }) => account(accountId).run((s) => s.status(peer)),
    'otr.start': ({ accountId, peer }) => account(accountId).run((s) => s.start(peer)),
    'otr.end': ({ accountId, peer }) => account(accountId).run((s) => s.end(peer)),
    'otr.fingerprints': ({ accountId, peer }) => account(accountId).run((s) => s.fingerprints(peer)),
    'otr.trust.set': ({ accountId, peer, fingerprint, verified }) => account(accountId).run((s) => s.setTrust(peer, fingerprint, verified)),
    'otr.smp.start': ({ accountId, peer, secret, question }) => account(accountId).run((s) => s.startSmp(peer, secret, question)),
    'otr.smp.answer': ({ accountId, peer, secret }) => account(accountId).run((s) => s.answerSmp(peer, secret)),
    'otr.smp.abort': ({ accountId, peer }) => account(accountId).run((s) => s.abortSmp(peer)),
    'otr.policy.set': ({ accountId, peer, policy, allowV2 }) => account(accountId).run((s) => ({ policy: s.setPolicy(peer, policy, allowV2) })),
    'otr.queue.resolve': ({ accountId, peer, action }) => account(accountId).run((s) => s.resolveQueue(peer, action)),
    'otr.offline.devices': ({ accountId, peer }) => account(accountId).offlineDevices(peer),
    'otr.notices': ({ accountId }) => account(accountId).run((s) => s.notices()),
    'otr.prekeyServer.trust': ({ accountId, server, fingerprint }) => account(accountId).trustPrekeyServer(server, fingerprint),
    'otr.devices': ({ accountId, peer }) => account(accountId).devices(peer),
    'otr.devices.forget': ({ accountId, peer, instanceTag }) => account(accountId).forgetDevice(peer, instanceTag),
    'otr.devices.choose': ({ accountId, peer, instanceTags }) => account(accountId).run((s) => s.chooseDevices(peer, instanceTags)),
    'otr.offline.send': ({ accountId, peer, instanceTags }) => account(accountId).run((s) => s.sendOffline(peer, instanceTags)),
  };
}
