// A minimal federated peer for tests of the relay and registration checks: an HTTPS server on
// loopback that publishes its own Ed25519 key at the well-known URL and accepts registrations,
// and whose private key the test holds, so the test can sign (and mis-sign) relays itself.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SIGNING_CONTEXT, WELL_KNOWN_PATH } from '../../../src-shared/push/wire';

export interface FakePeer {
  endpoint: string;
  publicKey: string;
  privateKey: KeyObject;
  /** registrations received (raw bodies) */
  registrations: string[];
  signRelay(body: string): string;
  signRegister(body: string): string;
  close(): Promise<void>;
}

export async function startFakePeer(certFile: string, keyFile: string): Promise<FakePeer> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'jwk' }).x!;
  const registrations: string[] = [];
  let endpoint = '';
  const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === WELL_KNOWN_PATH) return send(200, { endpoint, algorithm: 'ed25519', public_key: pub });
      if (req.method === 'POST' && req.url === '/api/v1/federation/register') {
        registrations.push(Buffer.concat(chunks).toString('utf8'));
        return send(200, { endpoint, algorithm: 'ed25519', public_key: pub });
      }
      send(404, { error: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/`;
  const s = (ctx: string, body: string) => sign(null, Buffer.from(ctx + body, 'utf8'), privateKey).toString('base64url');
  return {
    endpoint,
    publicKey: pub,
    privateKey,
    registrations,
    signRelay: (b) => s(SIGNING_CONTEXT.relay, b),
    signRegister: (b) => s(SIGNING_CONTEXT.register, b),
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
