// The prekey server's own CPU time per operation, without XMPP, Prosody or other processes in
// the figure: the protocol engine (src-server/prekey/protocol.ts) in this process with real
// storage, driven by publishers built from the shared protocol modules; only the server's
// handle() calls are timed (process CPU time around each call, so a loaded machine stretches
// wall time but hardly these figures). The client's work (making prekeys, proofs, DAKE-3,
// validating ensembles) runs between the timed calls and is not counted.
//   npx tsx bench/prekey-server-cpu.ts [--publications 40] [--prekeys 10] [--retrievals 400] [--postgres]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nativeDh3072Engine } from '../src-shared/node-crypto/dh-engines';
import { generateEdKeyPair } from '../src-shared/otr/v4/keys';
import { createPrekeyMessage, encodePrekeyMessage } from '../src-shared/otr/v4/prekey-message';
import { decodeBody, encodeBody } from '../src-shared/prekey/framing';
import { PREKEY_PROTOCOL_VERSION, decodeTopLevel, encodeMessage } from '../src-shared/prekey/messages';
import { buildPublication } from '../src-shared/prekey/publication';
import { PublisherDake } from '../src-shared/prekey/publisher';
import { type TestDevice, makeDevice, random } from '../src-shared/prekey/test-support/device';
import { PrekeyServerProtocol } from '../src-server/prekey/protocol';
import { openStorage } from '../src-server/prekey/server';
import { loadLine } from './support';

const { values } = parseArgs({
  options: {
    publications: { type: 'string', default: '40' },
    prekeys: { type: 'string', default: '10' },
    retrievals: { type: 'string', default: '400' },
    postgres: { type: 'boolean', default: false },
  },
});
const K = Number(values.publications);
const N = Number(values.prekeys);
const M = Number(values.retrievals);
const SERVER = 'prekeys.example.org';
const PUBLISHERS = 4;

async function main(): Promise<void> {
  console.log(`start: ${loadLine()}`);
  const engine = nativeDh3072Engine();
  const dataDir = mkdtempSync(join(tmpdir(), 'prekey-cpu-'));
  const pgCluster = values.postgres ? await (await import('../scripts/test-support/postgres')).startPostgres() : undefined;
  const storage = await openStorage({ dataDir, ...(pgCluster ? { postgresUrl: await pgCluster.createDatabase('prekeys') } : {}) });
  const big = 1e9;
  const server = new PrekeyServerProtocol({
    serverJid: SERVER,
    keyPair: generateEdKeyPair(random),
    storage,
    random,
    clock: Date.now,
    engine,
    limits: { retrievalsPerMinute: big, retrievalsPerTargetPerMinute: big, dakesPerMinute: big, maxPrekeyMessagesPerIdentity: big },
  });
  let cpuUs = 0;
  const timed = async (from: string, body: string): Promise<string[]> => {
    const c = process.cpuUsage();
    const replies = await server.handle(from, body);
    const d = process.cpuUsage(c);
    cpuUs += d.user + d.system;
    return replies.map((r) => ('body' in r ? r.body : ''));
  };
  const publish = async (who: string, device: TestDevice, n: number, profiles: boolean): Promise<void> => {
    const d = new PublisherDake({
      random,
      instanceTag: device.instanceTag,
      longTerm: device.longTerm,
      clientProfile: device.clientProfile,
      publisherJid: who,
      serverJid: SERVER,
      serverFingerprint: server.fingerprint,
    });
    const m2 = decodeTopLevel(decodeBody((await timed(`${who}/bench`, encodeBody(d.start())))[0]!));
    if (m2.type !== 'dake2') throw new Error('no DAKE-2');
    const made = Array.from({ length: n }, () => createPrekeyMessage(random, engine, device.instanceTag));
    const dake3 = d.onDake2(m2, (sk, macKey) =>
      buildPublication({
        sk,
        macKey,
        prekeys: made.map((m) => ({ encoded: encodePrekeyMessage(m.message), y: m.secrets.ecdh, b: m.secrets.dh })),
        ...(profiles
          ? { clientProfile: device.clientProfile.encoded, prekeyProfile: { encoded: device.prekeyProfile.encoded, sharedPrekey: device.sharedPrekey } }
          : {}),
        random,
        engine,
      }),
    );
    const outcome = d.onAnswer(decodeTopLevel(decodeBody((await timed(`${who}/bench`, encodeBody(dake3)))[0]!)));
    if (outcome.type !== 'success') throw new Error(`publication failed: ${outcome.type}`);
  };
  try {
    const devices = Array.from({ length: PUBLISHERS }, () => makeDevice());
    const who = (i: number) => `pub${i}@example.org`;
    for (let i = 0; i < PUBLISHERS; i++) await publish(who(i), devices[i]!, Math.ceil(M / PUBLISHERS) + 1, true);
    cpuUs = 0;
    for (let k = 0; k < K; k++) await publish(who(k % PUBLISHERS), devices[k % PUBLISHERS]!, N, false);
    const pubMs = cpuUs / 1000 / K;
    cpuUs = 0;
    let ensembles = 0;
    for (let k = 0; k < M; k++) {
      const q = encodeBody(
        encodeMessage({
          type: 'ensemble-query',
          version: PREKEY_PROTOCOL_VERSION,
          senderInstanceTag: 0x4242_0100,
          identity: who(k % PUBLISHERS),
          versions: '4',
        }),
      );
      const [answer] = await timed('ret@example.org/bench', q);
      if (atob(answer!.slice(0, 4)).charCodeAt(2) === 0x13) ensembles++;
    }
    const retMs = cpuUs / 1000 / M;
    console.log(`storage: ${values.postgres ? 'PostgreSQL (its own processes not counted)' : 'SQLite'}`);
    console.log(`publication (DAKE-1 + DAKE-3 with ${N} prekey messages): ${pubMs.toFixed(2)} ms server CPU → ${(1000 / pubMs).toFixed(1)}/s per core`);
    console.log(`ensemble retrieval (${ensembles} of ${M} with an ensemble): ${retMs.toFixed(3)} ms server CPU → ${(1000 / retMs).toFixed(0)}/s per core`);
    console.log(`end: ${loadLine()}`);
  } finally {
    await storage.close();
    await pgCluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
