// Starting with an offline contact (otr/offline-start.ts, otrv4.md §"Non-Interactive DAKE")
// (test-support/otr-pair.ts).
import { describe, expect, it } from 'vitest';
import { MessengerError } from '../../../src-shared/ipc/result';
import { nativeDh3072Engine, systemRandom } from '../../../src-shared/node-crypto/dh-engines';
import { generatePrekeyMessages } from '../../../src-shared/otr/v4/identity';
import type { PrekeyEnsemble } from '../../../src-shared/otr/v4/prekey-message';
import type { OtrAccountIdentity } from './identity';
import { OFFLINE_ENSEMBLES_MAX_AGE_MS } from './offline-start';
import { A, B, ids, openDb, shown, pump, side, useOtrFixtures, write, type Side } from './test-support/otr-pair';

useOtrFixtures();

describe('OTR service: starting with an offline contact (non-interactive DAKE)', () => {
  const dh = nativeDh3072Engine();

  /** what the contact's prekey server would hand out for this device: its profiles and one fresh prekey message */
  function ensembleOf(id: OtrAccountIdentity): PrekeyEnsemble {
    const [prekeyMessage] = generatePrekeyMessages(id.v4, systemRandom, dh, 1);
    return { clientProfile: id.v4.clientProfiles[0]!, prekeyProfile: id.v4.sharedPrekeys[0]!.profile, prekeyMessage: prekeyMessage! };
  }

  /** delivers what `from` sent to every device in `to` (as an archive would), in order */
  function deliverAll(from: Side, to: Side[]): void {
    for (const w of from.out.splice(0)) for (const d of to) shown(d, d.svc.receive(from.full, w.body));
  }

  it('sends what waits to the one chosen device, which reads it later; then the conversation goes on as usual', () => {
    const a = side(A, ids.A, openDb(), 'manual');
    let consumed = 0;
    const b = side(B, ids.B, openDb(), 'manual', { onPrekeyConsumed: () => consumed++ });
    a.svc.start(B);
    a.out.length = 0; // bob is offline: the query waits unanswered
    expect(write(a, B, 'written while bob is offline')).toBe('queued');

    const list = a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOf(ids.B)]]) });
    expect(list.devices).toEqual([
      {
        instanceTag: ids.B.instanceTag,
        fingerprint: b.svc.status(A).ourFingerprints.v4,
        known: false,
        verified: false,
        expiresAt: expect.any(Number) as number,
      },
    ]);
    expect(list.devices[0]!.expiresAt).toBeGreaterThan(Date.now());

    const st = a.svc.sendOffline(B, [ids.B.instanceTag]);
    expect(st).toMatchObject({ state: 'private-unverified', version: 4, queued: 0, offlineDevices: [ids.B.instanceTag] });
    expect(a.sent).toEqual([expect.objectContaining({ encrypted: true })]);
    // one notice says where the waiting message went
    expect(a.notices.find((n) => n.kind === 'offline-sent')).toMatchObject({ peer: B, messages: 1, devices: 1 });
    expect(a.notices.map((n) => n.kind)).not.toContain('queue-sent');
    // to the bare JID (bob's resources are unknown), never in clear
    expect(a.out.every((w) => w.to === B && !w.body.includes('written while'))).toBe(true);
    // the ChatMessage id rides with the data message
    expect(a.out.at(-1)?.messageId).toBe(a.sent[0]?.id);

    // bob comes online and reads what waited for him
    deliverAll(a, [b]);
    expect(b.received).toEqual([{ text: 'written while bob is offline', encrypted: true }]);
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', version: 4 });
    expect(b.notices.map((n) => n.kind)).toContain('offline-start');
    expect(consumed).toBe(1);
    expect(ids.B.v4.prekeys.size).toBe(0);

    // his answer makes his device the current one; the offline fan-out ends
    expect(write(b, A, 'got it')).toBe('sent');
    pump(a, b);
    expect(a.received).toEqual([{ text: 'got it', encrypted: true }]);
    expect(a.svc.status(B).offlineDevices).toBeUndefined();
    expect(write(a, B, 'good')).toBe('sent');
    expect(a.out[0]?.to).toBe(b.full);
    pump(a, b);
    expect(b.received.at(-1)).toEqual({ text: 'good', encrypted: true });
  });

  it('"all devices": each device gets its own session and a copy of every message until the contact answers', () => {
    const a = side(A, ids.A, openDb(), 'manual');
    const b1 = side(B, ids.B, openDb(), 'manual', { resource: 'laptop' });
    const b2 = side(B, ids.B2, openDb(), 'manual', { resource: 'desktop' });
    a.svc.start(B);
    a.out.length = 0;
    write(a, B, 'first, while offline');
    const byInstanceTag = new Map([
      [ids.B.instanceTag, ensembleOf(ids.B)],
      [ids.B2.instanceTag, ensembleOf(ids.B2)],
    ]);
    expect(
      a.svc
        .offlineDevices(B, { ok: true, byInstanceTag })
        .devices.map((d) => d.instanceTag)
        .sort(),
    ).toEqual([ids.B.instanceTag, ids.B2.instanceTag].sort());
    expect(a.svc.sendOffline(B, [ids.B.instanceTag, ids.B2.instanceTag]).offlineDevices?.sort()).toEqual([ids.B.instanceTag, ids.B2.instanceTag].sort());
    // one ChatMessage, marked sent once
    expect(a.sent).toHaveLength(1);
    expect(write(a, B, 'second, still offline')).toBe('sent');
    // both devices collect everything (an archive); each reads only what was encrypted for it
    deliverAll(a, [b1, b2]);
    for (const d of [b1, b2]) {
      expect(d.received).toEqual([
        { text: 'first, while offline', encrypted: true },
        { text: 'second, still offline', encrypted: true },
      ]);
      expect(d.notices.filter((n) => n.kind === 'unreadable')).toEqual([]);
    }
  });

  it('refuses a device that was not offered, a list fetched too long ago, and an ensemble used once already', () => {
    let now = Date.now();
    const a = side(A, ids.A, openDb(), 'manual', { clock: () => now });
    a.svc.start(B);
    a.out.length = 0;
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof MessengerError ? e.code : 'other';
      }
      return undefined;
    };
    // nothing fetched yet
    expect(code(() => a.svc.sendOffline(B, [ids.B.instanceTag]))).toBe('invalid-argument');
    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOf(ids.B)]]) });
    expect(code(() => a.svc.sendOffline(B, [ids.B2.instanceTag]))).toBe('invalid-argument');
    now += OFFLINE_ENSEMBLES_MAX_AGE_MS + 1;
    expect(code(() => a.svc.sendOffline(B, [ids.B.instanceTag]))).toBe('invalid-argument');
    a.svc.offlineDevices(B, { ok: true, byInstanceTag: new Map([[ids.B.instanceTag, ensembleOf(ids.B)]]) });
    expect(code(() => a.svc.sendOffline(B, [ids.B.instanceTag]))).toBeUndefined();
    // the same ensemble is never used for a second DAKE
    expect(code(() => a.svc.sendOffline(B, [ids.B.instanceTag]))).toBe('invalid-argument');
    // nothing refused went out
    expect(a.out.filter((w) => w.body.startsWith('?OTR:'))).toHaveLength(1);
  });

  it('says with a code why there are no devices, and warns about a changed prekey server key', () => {
    const a = side(A, ids.A, openDb(), 'manual');
    const none = a.svc.offlineDevices(B, { ok: false, reason: 'none' });
    expect(none).toEqual({ accountId: `acct-${A}`, peer: B, devices: [], unavailable: 'none' });
    const changed = a.svc.offlineDevices(B, {
      ok: false,
      reason: 'fingerprint-changed',
      server: 'prekeys.example.test',
      announced: 'AB'.repeat(56),
    });
    expect(changed.unavailable).toBe('fingerprint-changed');
    // the notice names the server and the key it presents now, for the user to accept or not
    expect(a.notices.at(-1)).toMatchObject({
      kind: 'prekey-server-changed',
      peer: B,
      server: 'prekeys.example.test',
      fingerprint: 'ab'.repeat(56),
      whose: 'contact',
    });
  });
});
