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

/** The pairs of a form body, percent-decoded strictly: URLSearchParams would turn an encoded
 * lone surrogate or other invalid UTF-8 (`%ED%A0%80`) into U+FFFD, changing the value; such a
 * body is refused instead (issue 12, finding 9). */
function formPairs(text: string): Array<[string, string]> {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw badRequest('invalid_encoding', 'form field is not valid percent-encoded UTF-8');
    }
  };
  return text
    .split('&')
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [decode(p), ''] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
    });
}

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
    for (const [k, v] of formPairs(text)) {
      if (Object.hasOwn(out, k)) throw badRequest('invalid_form', `field ${JSON.stringify(k).slice(0, 40)} given twice`);
      out[k] = FORM_BOOLEANS.has(k) && (v === 'true' || v === 'false') ? v === 'true' : v;
    }
    return out;
  }
  if (ct !== 'application/json' && !(ct === '' && text.length === 0)) {
    throw new HttpError(415, 'unsupported_media_type', 'send application/json (or application/x-www-form-urlencoded)');
  }
  if (text.length === 0) return {};
  return parseJsonText(text);
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

/**
 * The client's address for rate limiting. Behind `hops` trusted reverse proxies, each appends the
 * address it received the connection from to X-Forwarded-For, so the entry `hops` places from
 * the right is the one the outermost proxy wrote; everything to its left came from the client and
 * is ignored (issue 12, finding 2: the left-most entry is whatever the client chose). With fewer
 * entries than hops (a proxy that did not append), the left-most one present is used.
 */
export function clientAddress(req: IncomingMessage, hops: number): string {
  if (hops > 0) {
    const xff = req.headers['x-forwarded-for'];
    const entries = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const chosen = entries[Math.max(0, entries.length - hops)];
    if (chosen) return chosen.slice(0, 64);
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** A lone UTF-16 surrogate (`"\ud800"` in JSON) is not Unicode text: it cannot be stored or sent
 * on as UTF-8 without changing to U+FFFD, so every request carrying one is refused (issue 12,
 * finding 9). In a `u` regex a surrogate pair is one code point: only lone halves match. */
export function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

export const NOT_WELL_FORMED = () => badRequest('invalid_encoding', 'request contains a lone UTF-16 surrogate');

/** JSON.parse that refuses lone surrogates in any key or string value (400 invalid_encoding). */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('malformed_json', 'request body is not valid JSON');
  }
  // the escape `\u` is the only way a lone surrogate gets into parsed JSON from valid UTF-8
  if (text.includes('\\u') && containsLoneSurrogate(value)) throw NOT_WELL_FORMED();
  return value;
}

function containsLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return hasLoneSurrogate(v);
  if (Array.isArray(v)) return v.some(containsLoneSurrogate);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => hasLoneSurrogate(k) || containsLoneSurrogate(x));
  return false;
}
