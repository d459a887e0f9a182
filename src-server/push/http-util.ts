// Small HTTP helpers: bounded body reading, JSON/form parsing, JSON errors.
// Every refusal is a 4xx with a JSON body {error, code, details?} (issue 4, "Limits").
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new HttpError(400, code, message, details);

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  const body: Record<string, unknown> = { error: e.message, code: e.code };
  if (e.details !== undefined) body.details = e.details;
  sendJson(res, e.status, body, e.headers);
}

/** Reads the body, refusing (413) anything above `limit` bytes before buffering it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > limit)) {
      reject(new HttpError(413, 'body_too_large', `request body larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        reject(new HttpError(413, 'body_too_large', `request body larger than ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

/** Booleans that DRF accepted as form strings. */
const FORM_BOOLEANS = new Set(['active']);

/** Parses a JSON or (ChatSecure/RubDub) form body into an object. */
export function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw badRequest('invalid_encoding', 'request body is not valid UTF-8');
  }
  if (ct === 'application/x-www-form-urlencoded') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      if (Object.hasOwn(out, k)) throw badRequest('invalid_form', `field ${JSON.stringify(k).slice(0, 40)} given twice`);
      out[k] = FORM_BOOLEANS.has(k) && (v === 'true' || v === 'false') ? v === 'true' : v;
    }
    return out;
  }
  if (ct !== 'application/json' && !(ct === '' && text.length === 0)) {
    throw new HttpError(415, 'unsupported_media_type', 'send application/json (or application/x-www-form-urlencoded)');
  }
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('malformed_json', 'request body is not valid JSON');
  }
}

/** zod parse → 400 with the issue paths and messages (never the offending values). */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw badRequest(
      'invalid_request',
      'request failed validation',
      r.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return r.data;
}

export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return first.slice(0, 64);
  }
  return req.socket.remoteAddress ?? 'unknown';
}
