// federation/register and federation/relay (docs/push-server.md, Federation): a peer server
// registers with us, and relays knocks for our push_names to us, signed with its Ed25519 key.
import { PEER_HEADER, relayBatchSchema, relaySchema, SIGNATURE_HEADER, SIGNING_CONTEXT, type DeliveryPayload } from '../../../src-shared/push/wire';
import { acceptRegistration, FederationError, verifyBody } from '../federation';
import { HttpError, parseJsonText, readBody, sendJson, validate } from '../http-util';
import type { Ctx } from './context';
import type { ApiServices } from './services';

/** every failed federation/register gets this one answer (issue 12, finding 4): which check
 * failed (a closed port, a plain-HTTP service, a certificate, a key) is logged, never told */
const REGISTRATION_REFUSED = () => new HttpError(403, 'registration_refused', 'registration refused');

/** a raw JSON body (read by hand for its signature) with a lone surrogate is refused; other
 * malformations are the registration's to refuse */
function refuseLoneSurrogates(raw: Buffer): void {
  try {
    parseJsonText(raw.toString('utf8'));
  } catch (e) {
    if (e instanceof HttpError && e.code === 'invalid_encoding') throw e;
  }
}

export async function register(s: ApiServices, c: Ctx): Promise<void> {
  s.limit('ip', c.addr);
  const raw = await readBody(c.req, s.d.config.maxBody);
  refuseLoneSurrogates(raw);
  const sig = c.req.headers[SIGNATURE_HEADER];
  const { config } = s.d;
  try {
    const doc = await acceptRegistration(
      {
        storage: s.d.storage,
        identity: s.d.identity,
        outbound: s.d.outbound,
        windowMs: config.relayWindowS * 1000,
        now: s.d.now,
        allowPrivatePeers: config.allowPrivatePeers,
      },
      raw,
      typeof sig === 'string' ? sig : undefined,
    );
    s.d.log.info('peer registered', {});
    sendJson(c.res, 200, doc);
  } catch (e) {
    if (e instanceof FederationError) {
      // the reason for the operator; the requester learns nothing about the target
      s.d.log.info('registration refused', { reason: e.code });
      throw REGISTRATION_REFUSED();
    }
    throw e;
  }
}

export async function relay(s: ApiServices, c: Ctx): Promise<void> {
  const { storage, identity, now, config } = s.d;
  const peerHeader = c.req.headers[PEER_HEADER];
  const sig = c.req.headers[SIGNATURE_HEADER];
  if (typeof peerHeader !== 'string' || peerHeader.length > 512) throw new HttpError(403, 'unknown_peer', 'unknown peer');
  let peer = await s.peers.get(peerHeader, 'outbound');
  if (!peer) {
    s.limit('ip', c.addr);
    throw new HttpError(403, 'unknown_peer', 'unknown peer');
  }
  const raw = await readBody(c.req, config.maxBody);
  // Signature first, budget after (issue 12, finding 5): unsigned requests naming a real peer
  // count against the sender's address, never against the peer's relay budget.
  const signature = typeof sig === 'string' ? sig : undefined;
  // a key from the cache may predate a re-registration: check once more against the stored one
  if (
    !verifyBody(peer.publicKey, SIGNING_CONTEXT.relay, raw, signature) &&
    !((peer = await s.peers.get(peerHeader, 'outbound', true)) && verifyBody(peer.publicKey, SIGNING_CONTEXT.relay, raw, signature))
  ) {
    s.limit('ip', c.addr);
    throw new HttpError(403, 'bad_signature', 'relay signature invalid');
  }
  s.limit('peer', peer.endpoint);
  const json = parseJsonText(raw.toString('utf8'));
  // a batch of knocks (`knocks`) or a single one (`knock`); one signature covers the body
  const batch = typeof json === 'object' && json !== null && 'knocks' in json;
  const body = batch ? validate(relayBatchSchema, json) : validate(relaySchema, json);
  const knocks = 'knocks' in body ? body.knocks : [body.knock];
  // one knock that is not the peer's, or not for us, refuses the whole request
  if (body.origin !== peer.endpoint || knocks.some((k) => k.from.endpoint !== peer.endpoint))
    throw new HttpError(403, 'origin_mismatch', 'relay origin is not the signing peer');
  if (body.destination !== identity.endpoint || knocks.some((k) => k.to.endpoint !== identity.endpoint))
    throw new HttpError(400, 'wrong_destination', 'relay is addressed to another server');
  // --rate-peer counts knocks: a batch pays for the knocks beyond the one its request paid for
  if (knocks.length > 1) s.limit('peer', peer.endpoint, knocks.length - 1);
  const windowMs = config.relayWindowS * 1000;
  if (Math.abs(now() - body.sent_at) > windowMs) throw new HttpError(403, 'stale', 'relay timestamp outside the window');
  // One transaction: the relay id (replay protection for the request), then each knock by its
  // own id: the same knock retried under a new relay id (lost answer) is accepted but not
  // delivered again.
  // The storage makes each knock's fan-out (one statement on PostgreSQL: issue 17).
  const expiresAt = now() + config.knockTtlS * 1000;
  const items = knocks.map((k) => ({
    seen: { scope: 'knock-in', id: `${peer.endpoint} ${k.id}`, expiresAt },
    pushName: k.to.push_name,
    payload: JSON.stringify({ kind: 'knock', knock: k } satisfies DeliveryPayload),
  }));
  const results = await storage.enqueueFanOutOnce(
    { scope: 'relay', id: `${peer.endpoint} ${body.relay_id}`, expiresAt: now() + 2 * windowMs },
    items,
    s.fanOutShape(),
  );
  if (!results) throw new HttpError(409, 'replay', 'relay id already seen');
  for (const r of results) {
    if (!r.fresh) continue;
    s.warnSkipped(r.skipped);
    s.dispatch(r.entries);
  }
  sendJson(c.res, 202, batch ? { ids: knocks.map((k) => k.id), status: 'accepted' } : { id: knocks[0]!.id, status: 'accepted' });
}
