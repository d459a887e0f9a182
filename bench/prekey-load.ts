// For bench/prekey.ts: timing one phase with the CPU time of each process, topping up prekey
// messages, and the server-capacity retrievals (pre-built Ensemble Query messages, answers
// counted by their message type, not decoded: decoding re-validates the points, which is the
// client's cost that this phase leaves out).
import type { PrekeyClient, PrekeyServerInfo } from '../src-main/core/prekey/client';
import type { Connection } from '../src-main/core/prekey/test-support/harness';
import { encodeBody } from '../src-shared/prekey/framing';
import { PREKEY_PROTOCOL_VERSION, encodeMessage } from '../src-shared/prekey/messages';
import { loadavg } from 'node:os';
import type { Phase } from './prekey-report';
import { cpuSeconds, mainThreadSeconds } from './prekey-process';

/** runs `body` (which returns the number of operations and pushes latencies) and measures it */
export async function measure(
  name: string,
  concurrency: number,
  pids: { server: number; prosody: number },
  body: (lat: number[]) => Promise<number>,
): Promise<Phase> {
  const lat: number[] = [];
  const load = loadavg()[0]!;
  const before = { server: cpuSeconds(pids.server), serverLoop: mainThreadSeconds(pids.server), prosody: cpuSeconds(pids.prosody), bench: cpuSeconds('self') };
  const t0 = performance.now();
  const ops = await body(lat);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = {
    server: cpuSeconds(pids.server) - before.server,
    serverLoop: mainThreadSeconds(pids.server) - before.serverLoop,
    prosody: cpuSeconds(pids.prosody) - before.prosody,
    bench: cpuSeconds('self') - before.bench,
  };
  lat.sort((a, b) => a - b);
  return { name, ops, concurrency, seconds, lat, cpu, load };
}

/** publishes `each` more prekey messages per publisher, at most 200 per publication */
export async function topUp(publishers: PrekeyClient[], info: PrekeyServerInfo, each: number): Promise<void> {
  await Promise.all(
    publishers.map(async (p) => {
      for (let left = each; left > 0; left -= 200) await p.publish(info, { prekeyMessages: Math.min(200, left) });
    }),
  );
}

const ENSEMBLE_RETRIEVAL = 0x13;
const QUERY_TAG = 0x4242_0100;

/**
 * `total` Ensemble Queries over `conns`, `depth` in flight on each connection; answers are paired
 * with queries in order per connection. Returns how many answers were Ensemble Retrievals.
 */
export async function rawRetrievals(conns: Connection[], serverJid: string, targets: string[], total: number, depth: number, lat: number[]): Promise<number> {
  const queries = targets.map((identity) =>
    encodeBody(encodeMessage({ type: 'ensemble-query', version: PREKEY_PROTOCOL_VERSION, senderInstanceTag: QUERY_TAG, identity, versions: '4' })),
  );
  let next = 0;
  let ensembles = 0;
  await Promise.all(
    conns.map(async (c) => {
      const waiting: ((answer: string | null) => void)[] = [];
      const off = c.xmpp.onMessage((from, body) => {
        if (from.split('/')[0] === serverJid) waiting.shift()?.(body);
      });
      try {
        await Promise.all(
          Array.from({ length: depth }, async () => {
            while (next < total) {
              const q = queries[next++ % queries.length]!;
              const s = performance.now();
              const answer = new Promise<string | null>((r) => waiting.push(r));
              await c.xmpp.sendMessage(serverJid, q);
              const body = await answer;
              lat.push(performance.now() - s);
              // the message type is the third byte: the first four base-64 characters hold it
              if (body && atob(body.slice(0, 4)).charCodeAt(2) === ENSEMBLE_RETRIEVAL) ensembles++;
            }
          }),
        );
      } finally {
        off();
      }
    }),
  );
  return ensembles;
}
