// For bench/prekey.ts: the server-capacity phase for publications (issue 17: "a prekey server
// that serves a city" is about the server). Each publisher's prekey messages (the ECDH and DH key
// pairs, ≈ 2.2 ms of client CPU per prekey message) are made before the timed phase: they are the
// devices' own work, which a device can do while idle (ours, PrekeyClient, makes them as it
// publishes), not the server's, and here they would share its 2 cores. The timed phase still does
// everything that must happen per publication on the wire: the whole DAKE with the server
// (DAKE-1, DAKE-2 verified, DAKE-3 signed), the proofs (they depend on the DAKE's SK, so they
// cannot be made ahead), the MAC, and the server's full validation of DAKE-1, σ and the
// publication. The answers' MACs are checked. So the phase measures the server's publication
// rate through Prosody, with the publishers' DAKEs and proofs still on the same cores; the
// end-to-end phase before it times the key pairs too (docs/performance.md, Prekey server, round four).
import type { Connection } from '../src-main/core/prekey/test-support/harness';
import { encodePrekeyMessage, createPrekeyMessage } from '../src-shared/otr/v4/prekey-message';
import type { Dh3072Engine } from '../src-shared/otr/v4/dh3072';
import { fragmentMessage } from '../src-shared/prekey/fragment';
import { decodeBody, encodeBody } from '../src-shared/prekey/framing';
import { decodeTopLevel } from '../src-shared/prekey/messages';
import type { ModPow } from '../src-shared/prekey/proofs';
import { type PrekeyToPublish, buildPublication } from '../src-shared/prekey/publication';
import { PublisherDake } from '../src-shared/prekey/publisher';
import { type TestDevice, random } from '../src-shared/prekey/test-support/device';

export interface CapacityPublisher {
  conn: Connection;
  device: TestDevice;
  /** prekey messages made before the timed phase, taken `perPublication` at a time */
  made: PrekeyToPublish[];
}

/** makes `count` prekey messages for the device (untimed) */
export function makePrekeys(device: TestDevice, count: number, engine: Dh3072Engine): PrekeyToPublish[] {
  return Array.from({ length: count }, () => {
    const m = createPrekeyMessage(random, engine, device.instanceTag);
    return { encoded: encodePrekeyMessage(m.message), y: m.secrets.ecdh, b: m.secrets.dh };
  });
}

/** one publication (DAKE + Prekey Publication) over the publisher's own XMPP connection */
export async function publishOnce(
  p: CapacityPublisher,
  server: { jid: string; fingerprint: string },
  prekeys: PrekeyToPublish[],
  withProfiles: boolean,
  engine: ModPow,
): Promise<void> {
  const answers: (string | Error)[] = [];
  let wake: (() => void) | undefined;
  const off = p.conn.xmpp.onMessage((from, body, error) => {
    if (from.split('/')[0] !== server.jid) return;
    answers.push(body ?? new Error(`capacity publication: error stanza ${error?.condition ?? ''}`));
    wake?.();
  });
  const next = async (): Promise<string> => {
    while (answers.length === 0) await new Promise<void>((r) => (wake = r));
    const a = answers.shift()!;
    if (a instanceof Error) throw a;
    return a;
  };
  try {
    const dake = new PublisherDake({
      random,
      instanceTag: p.device.instanceTag,
      longTerm: p.device.longTerm,
      clientProfile: p.device.clientProfile,
      publisherJid: p.conn.jid.split('/')[0]!,
      serverJid: server.jid,
      serverFingerprint: server.fingerprint,
    });
    await p.conn.xmpp.sendMessage(server.jid, encodeBody(dake.start()));
    const m2 = decodeTopLevel(decodeBody(await next()));
    if (!dake.isOurDake2(m2)) throw new Error(`capacity publication: expected DAKE-2, got ${m2.type}`);
    const dake3 = dake.onDake2(m2, (sk, macKey) =>
      buildPublication({
        sk,
        macKey,
        prekeys,
        ...(withProfiles
          ? { clientProfile: p.device.clientProfile.encoded, prekeyProfile: { encoded: p.device.prekeyProfile.encoded, sharedPrekey: p.device.sharedPrekey } }
          : {}),
        random,
        engine,
      }),
    );
    const tag = p.device.instanceTag;
    for (const piece of fragmentMessage(encodeBody(dake3), 60_000, { identifier: tag, senderInstanceTag: tag, receiverInstanceTag: 0 })) {
      await p.conn.xmpp.sendMessage(server.jid, piece);
    }
    const outcome = dake.onAnswer(decodeTopLevel(decodeBody(await next())));
    if (outcome.type !== 'success') throw new Error(`capacity publication refused: ${outcome.type}`);
  } finally {
    off();
  }
}

/** `each` publications per publisher, one in flight per publisher; returns how many were made */
export async function capacityPublications(
  publishers: CapacityPublisher[],
  server: { jid: string; fingerprint: string },
  each: number,
  perPublication: number,
  engine: ModPow,
  lat: number[],
): Promise<number> {
  await Promise.all(
    publishers.map(async (p) => {
      for (let k = 0; k < each; k++) {
        const prekeys = p.made.splice(0, perPublication);
        const s = performance.now();
        await publishOnce(p, server, prekeys, false, engine);
        lat.push(performance.now() - s);
      }
    }),
  );
  return publishers.length * each;
}
