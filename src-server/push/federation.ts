// Federation between push servers (ChatSecure Push Protocol v3 draft, "Server-to-Server
// Communication": "Verify that Bob's api_endpoint has registered with Alice's api_endpoint").
//
// Each server has an Ed25519 key (node:crypto), shared by its replicas through the database,
// published at {origin}/.well-known/chatsecure-push-server together with its endpoint.
//
// Registration (B registers with A):
//   B → A  POST {A}federation/register  body {endpoint: B, registrar: A, public_key, nonce, sent_at}
//          signed by B (header x-push-signature, Ed25519 over context ‖ body).
//   A fetches B's well-known document over HTTPS (certificate verified): the key must be the one
//   in the body and the document must name the same endpoint. This proves that whoever controls
//   B's HTTPS origin holds the key. A records B as an "inbound" peer: A may relay knocks to B.
//   A answers with its own endpoint and key; B checks them against A's well-known document and
//   records A as an "outbound" peer: B accepts relays signed by A.
// Relay (A → B): POST {B}federation/relay, body Relay {relay_id, origin, destination, sent_at,
//   knock}, or RelayBatch {…, knocks: [up to 64]} for knocks that queued up together, headers
//   x-push-peer: A and x-push-signature. B refuses unknown peers, bad signatures, timestamps
//   outside the window, relay ids already seen, and (whole batch) any knock whose From is not A
//   or whose To is not B. One signature and one relay id cover a batch; each knock is still
//   deduplicated by its own id.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { PushStorage } from './storage/types';
import type { Outbound } from './outbound';
import {
  peerRegisterSchema,
  serverKeyDocSchema,
  SIGNATURE_HEADER,
  SIGNING_CONTEXT,
  WELL_KNOWN_PATH,
  PEER_HEADER,
  type ServerKeyDoc,
} from '../../src-shared/push/wire';
import { randomId } from './secrets';
import { isPrivateAddress, literalHost, publicOnlyLookup } from './address-policy';

export class FederationError extends Error {
  override readonly name = 'FederationError';
  constructor(
    readonly code: 'unknown_peer' | 'bad_signature' | 'stale' | 'replay' | 'key_mismatch' | 'unreachable' | 'refused' | 'insecure' | 'private_address',
    message: string,
  ) {
    super(message);
  }
}

export interface ServerIdentity {
  endpoint: string;
  publicKeyB64: string;
  privateKey: KeyObject;
}

const META_KEY = 'server_ed25519_pkcs8';

/** Loads the server key from storage, creating it once (replicas racing agree on one key). */
export async function loadIdentity(storage: PushStorage, endpoint: string): Promise<ServerIdentity> {
  let pkcs8 = await storage.getMeta(META_KEY);
  if (!pkcs8) {
    const { privateKey } = generateKeyPairSync('ed25519');
    pkcs8 = await storage.setMetaOnce(META_KEY, privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'));
  }
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('cannot export Ed25519 public key');
  return { endpoint, publicKeyB64: jwk.x, privateKey };
}

export function keyDocument(id: ServerIdentity): ServerKeyDoc {
  return { endpoint: id.endpoint, algorithm: 'ed25519', public_key: id.publicKeyB64 };
}

export function signBody(id: ServerIdentity, context: string, body: string): string {
  return sign(null, Buffer.concat([Buffer.from(context, 'utf8'), Buffer.from(body, 'utf8')]), id.privateKey).toString('base64url');
}

/** Peer public keys already imported: importing one from its JWK costs as much as the
 * verification itself, and every relay of a peer is verified with the same key. Bounded: only
 * registered peers' keys (and registration attempts') come here. */
const publicKeys = new Map<string, KeyObject>();

function publicKey(publicKeyB64: string): KeyObject {
  let key = publicKeys.get(publicKeyB64);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKeyB64 }, format: 'jwk' });
    if (publicKeys.size >= 1000) publicKeys.clear();
    publicKeys.set(publicKeyB64, key);
  }
  return key;
}

export function verifyBody(publicKeyB64: string, context: string, body: Buffer | string, signatureB64: string | undefined): boolean {
  if (!signatureB64 || !/^[A-Za-z0-9_-]{86}$/.test(signatureB64)) return false;
  try {
    const key = publicKey(publicKeyB64);
    const data = Buffer.concat([Buffer.from(context, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
    return verify(null, data, key, Buffer.from(signatureB64, 'base64url'));
  } catch {
    return false;
  }
}

export function wellKnownUrl(endpoint: string): string {
  return new URL(WELL_KNOWN_PATH, endpoint).toString();
}

/** Fetches and checks a server's key document over HTTPS (certificate verified). With
 * `publicOnly`, an endpoint at a loopback, private or link-local address (literal or resolved)
 * is refused before any connection (address-policy.ts). */
export async function fetchKeyDocument(outbound: Outbound, endpoint: string, publicOnly = false): Promise<ServerKeyDoc> {
  if (!endpoint.startsWith('https://')) throw new FederationError('insecure', 'federation requires an https endpoint');
  const literal = literalHost(endpoint);
  if (publicOnly && literal !== null && isPrivateAddress(literal)) throw new FederationError('private_address', 'endpoint is at a private address');
  let res;
  try {
    res = await outbound.request(wellKnownUrl(endpoint), {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: 10_000,
      ...(publicOnly && literal === null ? { lookup: publicOnlyLookup } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'PrivateAddressError') throw new FederationError('private_address', 'endpoint resolves to a private address');
    throw new FederationError('unreachable', `cannot fetch key document: ${(e as Error).message}`);
  }
  if (res.status !== 200) throw new FederationError('unreachable', `key document answered ${res.status}`);
  let doc;
  try {
    doc = serverKeyDocSchema.parse(JSON.parse(res.body.toString('utf8')));
  } catch {
    throw new FederationError('key_mismatch', 'key document is malformed');
  }
  if (doc.endpoint !== endpoint) throw new FederationError('key_mismatch', 'key document names another endpoint');
  return doc;
}

export interface RegistrationDeps {
  storage: PushStorage;
  identity: ServerIdentity;
  outbound: Outbound;
  windowMs: number;
  now: () => number;
  /** registrations from loopback, private and link-local endpoints are accepted (tests) */
  allowPrivatePeers?: boolean;
}

/** A's side of a registration: verify and record B as an inbound peer. Returns A's key document. */
export async function acceptRegistration(deps: RegistrationDeps, raw: Buffer, signature: string | undefined): Promise<ServerKeyDoc> {
  const { storage, identity, outbound, windowMs, now } = deps;
  let body;
  try {
    body = peerRegisterSchema.parse(JSON.parse(raw.toString('utf8')));
  } catch {
    throw new FederationError('refused', 'malformed registration');
  }
  if (body.registrar !== identity.endpoint) throw new FederationError('refused', 'registration is addressed to another server');
  if (body.endpoint === identity.endpoint) throw new FederationError('refused', 'a server cannot register with itself');
  if (Math.abs(now() - body.sent_at) > windowMs) throw new FederationError('stale', 'registration timestamp outside the window');
  if (!verifyBody(body.public_key, SIGNING_CONTEXT.register, raw, signature)) throw new FederationError('bad_signature', 'registration signature invalid');
  const doc = await fetchKeyDocument(outbound, body.endpoint, !deps.allowPrivatePeers);
  if (doc.public_key !== body.public_key) throw new FederationError('key_mismatch', 'key does not match the one published by the endpoint');
  if (!(await storage.rememberOnce('register', `${body.endpoint} ${body.nonce}`, now() + 2 * windowMs))) {
    throw new FederationError('replay', 'registration replayed');
  }
  await storage.upsertPeer({ endpoint: body.endpoint, publicKey: body.public_key, inbound: true, now: now() });
  return keyDocument(identity);
}

/** B's side: register with the server at `registrar` and record it as an outbound peer. */
export async function registerWith(deps: RegistrationDeps, registrarInput: string): Promise<void> {
  const { storage, identity, outbound, now } = deps;
  const registrar = new URL(registrarInput).toString();
  const body = JSON.stringify({
    endpoint: identity.endpoint,
    registrar,
    public_key: identity.publicKeyB64,
    nonce: randomId(),
    sent_at: now(),
  });
  if (!registrar.startsWith('https://')) throw new FederationError('insecure', 'federation requires an https endpoint');
  let res;
  try {
    res = await outbound.request(new URL('federation/register', registrar).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(identity, SIGNING_CONTEXT.register, body) },
      body,
    });
  } catch (e) {
    throw new FederationError('unreachable', `cannot reach ${registrar}: ${(e as Error).message}`);
  }
  if (res.status !== 200) throw new FederationError('refused', `registration refused with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  let answer;
  try {
    answer = serverKeyDocSchema.parse(JSON.parse(res.body.toString('utf8')));
  } catch {
    throw new FederationError('refused', 'registration answer malformed');
  }
  const doc = await fetchKeyDocument(outbound, registrar);
  if (answer.endpoint !== registrar || doc.public_key !== answer.public_key)
    throw new FederationError('key_mismatch', 'registrar key does not match its published key');
  await storage.upsertPeer({ endpoint: registrar, publicKey: doc.public_key, outbound: true, now: now() });
}

export { PEER_HEADER, SIGNATURE_HEADER };
