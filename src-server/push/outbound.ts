// Outbound HTTP(S) for federation and adapters: node:https with certificate verification always
// on, the system roots plus an optional extra CA (--ca), keep-alive connections, a timeout and a
// response size cap. Never follows redirects (a redirect could move a signed request elsewhere).
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { LookupFunction } from 'node:net';

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class OutboundError extends Error {
  override readonly name = 'OutboundError';
}

export interface Outbound {
  /** `lookup` replaces DNS resolution for this request (address-policy.ts: refuse private
   * targets); such a request gets a connection of its own, never a pooled one */
  request(
    url: string,
    opts: { method: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number; lookup?: LookupFunction },
  ): Promise<OutboundResponse>;
  readonly ca: string[] | undefined;
  close(): void;
}

export function createOutbound(extraCa: string | undefined, maxResponse = 256 * 1024): Outbound {
  const ca = extraCa ? [...tls.rootCertificates, extraCa] : undefined;
  // One secure context for all connections: passing `ca` per request would make the agent
  // stringify every root certificate for each request's connection-pool key.
  const secureContext = ca ? tls.createSecureContext({ ca }) : undefined;
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, ...(secureContext ? { secureContext } : {}) });
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  return {
    ca,
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
    request(url, opts) {
      return new Promise((resolve, reject) => {
        const u = new URL(url);
        const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
        if (!lib) {
          reject(new OutboundError('unsupported URL scheme'));
          return;
        }
        const req = lib.request(
          u,
          {
            method: opts.method,
            headers: { ...(opts.headers ?? {}), ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) },
            // a pooled socket was connected without this lookup: take a fresh one
            ...(opts.lookup
              ? { lookup: opts.lookup, agent: false, ...(secureContext ? { secureContext } : {}) }
              : { agent: u.protocol === 'https:' ? httpsAgent : httpAgent }),
            timeout: opts.timeoutMs ?? 10_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > maxResponse) {
                req.destroy(new OutboundError('response too large'));
                return;
              }
              chunks.push(c);
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new OutboundError('request timed out')));
        req.on('error', reject);
        req.end(opts.body);
      });
    },
  };
}
