// The one JID module of the project: checks (RFC 7622 §3) strict enough to reject what xmpp.js'
// parser would throw on or mis-read, and the bare JID every part keys conversations by. Pure (no
// Node, no xmpp.js), so the core, the renderer and the servers share it. Not a full PRECIS
// implementation: the server has already applied the profiles to anything it routes; we only
// refuse what is malformed. (@xmpp/jid parses without these checks, hence our own.)

const MAX_PART = 1023; // RFC 7622 §3.2-3.4: each part is 1..1023 octets
// RFC 7622 §3.3.1: these may not appear in a localpart
const LOCAL_FORBIDDEN = /["&'/:<>@\s]/u;
// controls are never allowed anywhere (PRECIS IdentifierClass / FreeformClass disallow Cc)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

const byteLength = (s: string): number => new TextEncoder().encode(s).length;

export interface ParsedJid {
  local: string;
  domain: string;
  resource: string;
}

/** Splits a JID (RFC 7622 §3.1: domain up to the first '/', local before the first '@' of it). */
export function parseJid(value: string): ParsedJid | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 3071 || CONTROL.test(value)) return null;
  const slash = value.indexOf('/');
  const addr = slash === -1 ? value : value.slice(0, slash);
  const resource = slash === -1 ? '' : value.slice(slash + 1);
  if (slash !== -1 && (resource.length === 0 || byteLength(resource) > MAX_PART)) return null;
  const at = addr.indexOf('@');
  const local = at === -1 ? '' : addr.slice(0, at);
  const domain = at === -1 ? addr : addr.slice(at + 1);
  if (at !== -1 && (local.length === 0 || byteLength(local) > MAX_PART || LOCAL_FORBIDDEN.test(local))) return null;
  if (domain.length === 0 || byteLength(domain) > MAX_PART || /[@\s/]/u.test(domain) || domain.startsWith('.') || domain.endsWith('..')) return null;
  return { local, domain: domain.replace(/\.$/, '').toLowerCase(), resource };
}

export function isValidJid(value: string): boolean {
  return parseJid(value) !== null;
}

/** The bare JID (local@domain, or domain) in canonical lower case, or null when malformed. */
export function bareJid(value: string | undefined | null): string | null {
  if (value == null) return null;
  const p = parseJid(value);
  if (!p) return null;
  return p.local ? `${p.local.toLowerCase()}@${p.domain}` : p.domain;
}

/**
 * The bare JID of an address already known to be well formed (it came through parseIncoming, the
 * roster or the IPC schemas): as bareJid, falling back to the plain lower-cased part before the
 * resource for anything bareJid refuses, so that it never throws or returns null.
 */
export function bareKey(value: string): string {
  const slash = value.indexOf('/');
  return bareJid(value) ?? (slash < 0 ? value : value.slice(0, slash)).toLowerCase();
}

export function resourceOf(value: string | undefined | null): string {
  if (value == null) return '';
  return parseJid(value)?.resource ?? '';
}
