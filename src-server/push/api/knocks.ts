// knocks/ (ChatSecure push v3 draft, "Sending Knock to Offline Contact"): a logged-in sender
// posts a knock to its own endpoint, which fans it out locally or queues it for the recipient's
// server (relayed by worker.ts, received by api/federation.ts).
import { knockEnvelopeSchema } from '../../../src-shared/push/wire';
import { HttpError, sendJson, validate } from '../http-util';
import { randomId } from '../secrets';
import type { OutboxEntry } from '../storage/types';
import type { Ctx } from './context';
import type { ApiServices } from './services';

export async function postKnock(s: ApiServices, c: Ctx): Promise<void> {
  // the login from memory if this token knocked before; the write below checks it again
  const { account: a, tokenHash } = await s.knockLogin(c);
  const knock = validate(knockEnvelopeSchema, await s.body(c));
  const { identity, now, config } = s.d;
  // v3 draft: the knock is sent to the sender's own endpoint, From names the sender
  if (knock.from.endpoint !== identity.endpoint || knock.from.push_name !== a.pushName) {
    throw new HttpError(403, 'from_mismatch', 'From must be this endpoint and your push_name');
  }
  const local = knock.to.endpoint === identity.endpoint;
  let peerEndpoint: string | null = null;
  if (!local) {
    const peer = await s.peers.get(knock.to.endpoint, 'inbound');
    if (!peer) throw new HttpError(403, 'unknown_peer', 'the recipient endpoint has not registered with this server');
    peerEndpoint = peer.endpoint;
  }
  const t = now();
  let entries: OutboxEntry[];
  if (local) {
    entries = await s.localEntries(knock);
  } else {
    entries = [
      {
        id: randomId(),
        target: 'peer',
        targetId: peerEndpoint!,
        accountId: '',
        kind: 'peer',
        payload: JSON.stringify(knock),
        createdAt: t,
        expiresAt: t + config.knockTtlS * 1000,
        attempts: 0,
        nextAttemptAt: t + s.d.worker.leaseMs,
      },
    ];
  }
  // the knock id and its queue entries are written together: a replay writes nothing
  const written = await s.enqueueKnock({ tokenHash, now: t }, entries, {
    scope: 'knock',
    id: `${identity.endpoint} ${knock.id}`,
    expiresAt: t + config.knockTtlS * 1000,
  });
  if (written === 'unauthorized') s.failedKnockLogin(c, tokenHash);
  if (written === 'replay') throw new HttpError(409, 'replay', 'a knock with this id was already accepted');
  // the same answer whether or not the recipient push_name exists (no enumeration)
  sendJson(c.res, 202, { id: knock.id, status: 'accepted' });
}
