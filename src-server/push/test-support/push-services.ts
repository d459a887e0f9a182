// Local stand-ins for APNs, FCM and a Web Push service, for adapter tests: each checks every
// part of a request that the real service requires (headers, provider-token signature and
// claims, payload format; for Web Push it decrypts the payload with the subscription's keys, as
// a browser would) and records what it accepted. A failed check answers 400 with the reason and
// is recorded in `problems`.
import http2 from 'node:http2';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type KeyObject, type ECDH } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Jwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Verifies a compact JWS with ES256 (r‖s) or RS256; returns its parts or throws. */
export function verifyJwt(token: string, key: KeyObject, alg: 'ES256' | 'RS256'): Jwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('JWT must have three parts');
  const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as Record<string, unknown>;
  const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as Record<string, unknown>;
  if (header.alg !== alg) throw new Error(`JWT alg ${String(header.alg)} ≠ ${alg}`);
  const input = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = Buffer.from(parts[2]!, 'base64url');
  const ok = alg === 'ES256' ? sig.length === 64 && verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, sig) : verify('sha256', input, key, sig);
  if (!ok) throw new Error('JWT signature invalid');
  return { header, claims };
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

const nowS = () => Math.floor(Date.now() / 1000);

// ------------------------------------------------------------------------------------------
export interface ApnsService {
  url: string;
  accepted: Array<{ deviceToken: string; pushType: string; priority: string; body: Record<string, unknown> }>;
  problems: string[];
  /** device tokens answered 410 Unregistered */
  unregistered: Set<string>;
  /** answer the next request 403 ExpiredProviderToken (the adapter must re-sign and retry) */
  expireNextToken: boolean;
  close(): Promise<void>;
}

export async function startApns(opts: {
  certFile: string;
  keyFile: string;
  teamId: string;
  keyId: string;
  topic: string;
  publicKey: KeyObject;
}): Promise<ApnsService> {
  const svc: Omit<ApnsService, 'url' | 'close'> = { accepted: [], problems: [], unregistered: new Set(), expireNextToken: false };
  const server = http2.createSecureServer({ cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile) });
  server.on('stream', (stream, h) => {
    void readAll(stream).then((raw) => {
      const reply = (status: number, body?: unknown) => {
        stream.respond({ ':status': status, 'apns-id': String(h['apns-id'] ?? '') });
        stream.end(body ? JSON.stringify(body) : undefined);
      };
      const fail = (reason: string) => {
        svc.problems.push(reason);
        reply(400, { reason });
      };
      if (h[':method'] !== 'POST') return fail('method must be POST');
      const m = /^\/3\/device\/([0-9a-f]{64,200})$/.exec(String(h[':path']));
      if (!m) return fail('path must be /3/device/<hex token>');
      const auth = String(h.authorization ?? '');
      if (!auth.startsWith('bearer ')) return fail('authorization must be "bearer <JWT>"');
      let jwt: Jwt;
      try {
        jwt = verifyJwt(auth.slice(7), opts.publicKey, 'ES256');
      } catch (e) {
        return fail(`provider token: ${(e as Error).message}`);
      }
      if (jwt.header.kid !== opts.keyId) return fail('JWT kid must be the key id');
      if (jwt.claims.iss !== opts.teamId) return fail('JWT iss must be the team id');
      if (typeof jwt.claims.iat !== 'number' || Math.abs(nowS() - jwt.claims.iat) > 3600) return fail('JWT iat must be within the hour');
      if (h['apns-topic'] !== opts.topic) return fail('apns-topic must be the bundle id');
      const pushType = String(h['apns-push-type'] ?? '');
      const priority = String(h['apns-priority'] ?? '10');
      if (!['background', 'alert'].includes(pushType)) return fail('apns-push-type must be background or alert');
      if (!['5', '10'].includes(priority)) return fail('apns-priority must be 5 or 10');
      if (h['apns-expiration'] !== undefined && !/^\d+$/.test(String(h['apns-expiration']))) return fail('apns-expiration must be a UNIX time');
      if (raw.length > 4096) return fail('PayloadTooLarge');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return fail('PayloadEmpty or not JSON');
      }
      const aps = body.aps as Record<string, unknown> | undefined;
      if (!aps || typeof aps !== 'object') return fail('payload must have an aps dictionary');
      if (pushType === 'background') {
        if (priority !== '5') return fail('background pushes must use priority 5');
        if (aps['content-available'] !== 1) return fail('background pushes need content-available: 1');
        if (aps.alert !== undefined || aps.sound !== undefined || aps.badge !== undefined)
          return fail('background pushes must not contain alert, sound or badge');
      }
      if (svc.expireNextToken) {
        svc.expireNextToken = false;
        stream.respond({ ':status': 403 });
        stream.end(JSON.stringify({ reason: 'ExpiredProviderToken' }));
        return;
      }
      if (svc.unregistered.has(m[1]!)) {
        stream.respond({ ':status': 410 });
        stream.end(JSON.stringify({ reason: 'Unregistered', timestamp: Date.now() }));
        return;
      }
      svc.accepted.push({ deviceToken: m[1]!, pushType, priority, body });
      reply(200);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(svc, {
    url,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as ApnsService;
}

// ------------------------------------------------------------------------------------------
export interface FcmService {
  url: string;
  tokenUrl: string;
  accepted: Array<{ token: string; data: Record<string, string>; priority: string }>;
  problems: string[];
  tokensIssued: number;
  unregistered: Set<string>;
  close(): Promise<void>;
}

export async function startFcm(opts: { certFile: string; keyFile: string; projectId: string; clientEmail: string; publicKey: KeyObject }): Promise<FcmService> {
  const svc = { accepted: [], problems: [], tokensIssued: 0, unregistered: new Set() } as unknown as FcmService;
  const issued = new Set<string>();
  const server = https.createServer({ cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile) }, (req, res) => {
    void readAll(req).then((raw) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const fail = (reason: string) => {
        svc.problems.push(reason);
        send(400, { error: { code: 400, message: reason, status: 'INVALID_ARGUMENT' } });
      };
      if (req.method !== 'POST') return fail('method must be POST');
      if (req.url === '/token') {
        if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return fail('token request must be a form');
        const form = new URLSearchParams(raw.toString('utf8'));
        if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return fail('grant_type must be jwt-bearer');
        let jwt: Jwt;
        try {
          jwt = verifyJwt(form.get('assertion') ?? '', opts.publicKey, 'RS256');
        } catch (e) {
          return fail(`assertion: ${(e as Error).message}`);
        }
        const c = jwt.claims;
        if (c.iss !== opts.clientEmail) return fail('assertion iss must be the client email');
        if (c.scope !== 'https://www.googleapis.com/auth/firebase.messaging') return fail('assertion scope must be firebase.messaging');
        if (c.aud !== svc.tokenUrl) return fail('assertion aud must be the token URI');
        if (typeof c.iat !== 'number' || typeof c.exp !== 'number' || c.exp - c.iat > 3600 || c.exp <= nowS() || Math.abs(c.iat - nowS()) > 300)
          return fail('assertion iat/exp invalid');
        const token = `ya29.${randomBytes(24).toString('base64url')}`;
        issued.add(token);
        svc.tokensIssued++;
        return send(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
      }
      if (req.url !== `/v1/projects/${opts.projectId}/messages:send`) return fail(`unknown path ${req.url}`);
      const auth = String(req.headers.authorization ?? '');
      if (!auth.startsWith('Bearer ') || !issued.has(auth.slice(7))) {
        svc.problems.push('missing or unknown access token');
        return send(401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
      }
      if (!String(req.headers['content-type']).startsWith('application/json')) return fail('content-type must be JSON');
      let body: { message?: { token?: unknown; data?: unknown; notification?: unknown; android?: { priority?: unknown; ttl?: unknown } } };
      try {
        body = JSON.parse(raw.toString('utf8')) as typeof body;
      } catch {
        return fail('body is not JSON');
      }
      const msg = body.message;
      if (!msg || typeof msg.token !== 'string') return fail('message.token required');
      if (msg.notification !== undefined) return fail('no notification (content) allowed');
      if (!msg.data || typeof msg.data !== 'object' || !Object.values(msg.data).every((v) => typeof v === 'string')) return fail('data values must be strings');
      if (!msg.android || !['high', 'normal'].includes(String(msg.android.priority)) || !/^\d+(\.\d+)?s$/.test(String(msg.android.ttl)))
        return fail('android.priority/ttl invalid');
      if (svc.unregistered.has(msg.token))
        return send(404, {
          error: { code: 404, status: 'NOT_FOUND', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] },
        });
      svc.accepted.push({ token: msg.token, data: msg.data as Record<string, string>, priority: String(msg.android.priority) });
      send(200, { name: `projects/${opts.projectId}/messages/${svc.accepted.length}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  svc.url = base;
  svc.tokenUrl = `${base}/token`;
  svc.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return svc;
}

// ------------------------------------------------------------------------------------------
export interface WebPushSubscriber {
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
  ecdh: ECDH;
  auth: Buffer;
}

export interface WebPushService {
  origin: string;
  subscribe(id: string): WebPushSubscriber;
  accepted: Array<{ id: string; ttl: number; urgency: string; plaintext: string }>;
  problems: string[];
  gone: Set<string>;
  close(): Promise<void>;
}

/** RFC 8291 §3.4 / RFC 8188 decryption, as the user agent does it. */
export function decryptWebPush(body: Buffer, sub: WebPushSubscriber): Buffer {
  if (body.length < 21) throw new Error('body shorter than the aes128gcm header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body.readUInt8(20);
  if (idlen !== 65) throw new Error('keyid must be the 65-byte application server key');
  if (rs < 18) throw new Error('record size too small');
  const asPublic = body.subarray(21, 21 + idlen);
  const ct = body.subarray(21 + idlen);
  if (ct.length > rs) throw new Error('more than one record');
  const uaPublic = sub.ecdh.getPublicKey();
  const ecdhSecret = sub.ecdh.computeSecret(asPublic);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, sub.auth, Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]), 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const d = createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(ct.subarray(ct.length - 16));
  const padded = Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('last record must end with delimiter 0x02');
  return padded.subarray(0, end);
}

export async function startWebPush(opts: { certFile: string; keyFile: string }): Promise<WebPushService> {
  const subs = new Map<string, WebPushSubscriber>();
  const svc = { accepted: [], problems: [], gone: new Set() } as unknown as WebPushService;
  const server = https.createServer({ cert: readFileSync(opts.certFile), key: readFileSync(opts.keyFile) }, (req, res) => {
    void readAll(req).then((raw) => {
      const fail = (reason: string, status = 400) => {
        svc.problems.push(reason);
        res.writeHead(status).end(reason);
      };
      const m = /^\/push\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
      const sub = m ? subs.get(m[1]!) : undefined;
      if (req.method !== 'POST' || !m || !sub) return fail('unknown push resource', 404);
      if (svc.gone.has(m[1]!)) return res.writeHead(410).end();
      const ttl = String(req.headers.ttl ?? '');
      if (!/^\d+$/.test(ttl)) return fail('TTL header required (RFC 8030 §5.2)');
      const urgency = String(req.headers.urgency ?? 'normal');
      if (!['very-low', 'low', 'normal', 'high'].includes(urgency)) return fail('invalid Urgency (RFC 8030 §5.3)');
      if (req.headers['content-encoding'] !== 'aes128gcm') return fail('Content-Encoding must be aes128gcm (RFC 8291 §4)');
      const am = /^vapid t=([A-Za-z0-9_.-]+), k=([A-Za-z0-9_-]+)$/.exec(String(req.headers.authorization ?? ''));
      if (!am) return fail('Authorization must be "vapid t=…, k=…" (RFC 8292 §3)', 401);
      let jwt: Jwt;
      try {
        const k = Buffer.from(am[2]!, 'base64url');
        if (k.length !== 65 || k[0] !== 4) throw new Error('k must be an uncompressed P-256 point');
        const key = createPublicKey({
          key: { kty: 'EC', crv: 'P-256', x: k.subarray(1, 33).toString('base64url'), y: k.subarray(33).toString('base64url') },
          format: 'jwk',
        });
        jwt = verifyJwt(am[1]!, key, 'ES256');
      } catch (e) {
        return fail(`VAPID: ${(e as Error).message}`, 403);
      }
      if (jwt.claims.aud !== svc.origin) return fail('VAPID aud must be the push resource origin', 403);
      const exp = jwt.claims.exp;
      if (typeof exp !== 'number' || exp <= nowS() || exp > nowS() + 24 * 3600) return fail('VAPID exp must be within 24 hours', 403);
      if (typeof jwt.claims.sub !== 'string' || !/^(mailto:|https:)/.test(jwt.claims.sub)) return fail('VAPID sub must be mailto: or https:', 403);
      let plaintext: Buffer;
      try {
        plaintext = decryptWebPush(raw, sub);
      } catch (e) {
        return fail(`payload does not decrypt: ${(e as Error).message}`);
      }
      svc.accepted.push({ id: m[1]!, ttl: Number(ttl), urgency, plaintext: plaintext.toString('utf8') });
      res.writeHead(201, { location: `${svc.origin}/msg/${svc.accepted.length}` }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  svc.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  svc.subscribe = (id) => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const s: WebPushSubscriber = {
      ecdh,
      auth,
      subscription: { endpoint: `${svc.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } },
    };
    subs.set(id, s);
    return s;
  };
  svc.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return svc;
}
