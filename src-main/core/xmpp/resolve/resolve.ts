// Where to connect for an XMPP domain (RFC 6120 §3.2.1): the `_xmpp-client._tcp` SRV records in
// priority order (weights ignored: we try them in turn), else the domain itself on port 5222
// (§3.2.2 fallback). An explicit host/port from the user wins. The certificate is always checked
// against the domain, never against the SRV target (RFC 6125 §6.2.1, RFC 7590 §3.3).
import { promises as dns } from 'node:dns';

export interface Endpoint {
  host: string;
  port: number;
}

export type SrvLookup = (name: string) => Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;

/** Orders SRV answers; a single "." target means the service is not offered (RFC 2782). */
export function endpointsFromSrv(records: Array<{ name: string; port: number; priority: number; weight: number }>): Endpoint[] | null {
  if (records.length === 1 && (records[0]?.name === '.' || records[0]?.name === '')) return null;
  return [...records]
    .filter((r) => r.name && r.name !== '.' && r.port > 0 && r.port < 65536)
    .sort((a, b) => a.priority - b.priority || b.weight - a.weight)
    .map((r) => ({ host: r.name.replace(/\.$/, ''), port: r.port }));
}

export async function resolveEndpoints(
  domain: string,
  override: { host?: string | null; port?: number | null } = {},
  lookup: SrvLookup = (n) => dns.resolveSrv(n),
  timeoutMs = 5000,
): Promise<Endpoint[]> {
  if (override.host) return [{ host: override.host, port: override.port ?? 5222 }];
  let records: Awaited<ReturnType<SrvLookup>> = [];
  try {
    let timer: NodeJS.Timeout | undefined;
    records = await Promise.race([
      lookup(`_xmpp-client._tcp.${domain}`),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('SRV lookup timed out')), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  } catch {
    records = []; // no SRV (NXDOMAIN, no network, timeout): fall back to the domain
  }
  const fromSrv = endpointsFromSrv(records);
  if (fromSrv === null) return [];
  const fallback = { host: domain, port: override.port ?? 5222 };
  return fromSrv.length > 0 ? (override.port ? fromSrv.map((e) => ({ ...e, port: override.port as number })) : fromSrv) : [fallback];
}
