// The APNs, FCM and Web Push adapters against local services that check every part of the
// request (test-support/push-services.ts); then the server process with all three configured,
// fanning a knock out to devices of each kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, createECDH } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApnsAdapter } from './adapters/apns';
import { FcmAdapter } from './adapters/fcm';
import { WebPushAdapter, encryptWebPush } from './adapters/webpush';
import { makeKnock, makePki, removeDir, startServer, tempDir, type Pki } from './test-support/harness';
import { decryptWebPush, startApns, startFcm, startWebPush, type ApnsService, type FcmService, type WebPushService } from './test-support/push-services';
import type { DeviceRow } from './storage/types';
import { PushClient } from '../../src-shared/node-push/client';
import type { DeliveryPayload } from '../../src-shared/push/wire';
import tls from 'node:tls';

const TEAM = 'TEAM123456';
const KID = 'KEY1234567';
const TOPIC = 'org.example.messenger';

function device(kind: DeviceRow['kind'], registrationId: string): DeviceRow {
  return { id: 'dev', accountId: 'acc', kind, registrationId, channelHash: '', name: '', deviceId: '', active: true, createdAt: 0 };
}

describe('push adapters', () => {
  let pki: Pki;
  let dir: string;
  let apns: ApnsService;
  let fcm: FcmService;
  let wp: WebPushService;
  const apnsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const saKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const vapidKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let ca: string[];
  let knockPayload: DeliveryPayload;

  beforeAll(async () => {
    pki = makePki();
    dir = tempDir();
    ca = [...tls.rootCertificates, pki.ca];
    apns = await startApns({ certFile: pki.certFile, keyFile: pki.keyFile, teamId: TEAM, keyId: KID, topic: TOPIC, publicKey: apnsKey.publicKey });
    fcm = await startFcm({
      certFile: pki.certFile,
      keyFile: pki.keyFile,
      projectId: 'messenger-test',
      clientEmail: 'push@messenger-test.iam.gserviceaccount.com',
      publicKey: saKey.publicKey,
    });
    wp = await startWebPush({ certFile: pki.certFile, keyFile: pki.keyFile });
    knockPayload = {
      kind: 'knock',
      knock: makeKnock({ endpoint: 'https://a.example/api/v1/', push_name: 'alice' }, { endpoint: 'https://b.example/api/v1/', push_name: 'bob' }),
    };
  });
  afterAll(async () => {
    await apns?.close();
    await fcm?.close();
    await wp?.close();
    removeDir(dir);
    if (pki) removeDir(pki.dir);
  });

  const serviceAccount = () => ({
    type: 'service_account' as const,
    project_id: 'messenger-test',
    private_key_id: 'k1',
    private_key: saKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    client_email: 'push@messenger-test.iam.gserviceaccount.com',
    token_uri: fcm.tokenUrl,
  });

  it('APNs: HTTP/2, ES256 provider token, background push without content; 410 means gone; expired token is re-signed', async () => {
    const a = new ApnsAdapter({ key: apnsKey.privateKey, keyId: KID, teamId: TEAM, topic: TOPIC, url: apns.url, ca });
    try {
      const tok = 'a1'.repeat(32);
      expect(await a.send(device('apns', tok), knockPayload, 3600, true)).toEqual({ kind: 'ok' });
      expect(apns.accepted.at(-1)).toMatchObject({
        deviceToken: tok,
        pushType: 'background',
        priority: '5',
        body: { aps: { 'content-available': 1 }, knock: knockPayload.kind === 'knock' ? knockPayload.knock : null },
      });
      // ChatSecure message as shipped: aps.alert.message = {token, data}
      expect(await a.send(device('apns', tok), { kind: 'message', token: 'f'.repeat(40), data: 'x', priority: 'high' }, 60, true)).toEqual({ kind: 'ok' });
      expect(apns.accepted.at(-1)).toMatchObject({
        pushType: 'alert',
        priority: '10',
        body: { aps: { alert: { message: { token: 'f'.repeat(40), data: 'x' } } } },
      });
      apns.expireNextToken = true;
      expect(await a.send(device('apns', tok), knockPayload, 3600, true)).toEqual({ kind: 'ok' });
      apns.unregistered.add('b2'.repeat(32));
      expect((await a.send(device('apns', 'b2'.repeat(32)), knockPayload, 3600, true)).kind).toBe('gone');
      expect(apns.problems).toEqual([]);
    } finally {
      a.close();
    }
  });

  it('APNs: a provider token signed with the wrong key is refused by the service', async () => {
    const wrong = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const a = new ApnsAdapter({ key: wrong.privateKey, keyId: KID, teamId: TEAM, topic: TOPIC, url: apns.url, ca });
    try {
      expect((await a.send(device('apns', 'c3'.repeat(32)), knockPayload, 60, true)).kind).toBe('failed');
      expect(apns.problems.splice(0)).toEqual(['provider token: JWT signature invalid']);
    } finally {
      a.close();
    }
  });

  it('FCM HTTP v1: RS256 assertion exchanged for an access token (cached), data-only message; UNREGISTERED means gone', async () => {
    const f = new FcmAdapter({ serviceAccount: serviceAccount(), url: fcm.url, ca });
    try {
      expect(await f.send(device('fcm', 'fcm-token-1'), knockPayload, 600, true)).toEqual({ kind: 'ok' });
      expect(await f.send(device('fcm', 'fcm-token-1'), { kind: 'message', token: 'e'.repeat(40), priority: 'low' }, 600, false)).toEqual({ kind: 'ok' });
      expect(fcm.tokensIssued).toBe(1);
      expect(fcm.accepted[0]).toMatchObject({ token: 'fcm-token-1', priority: 'high', data: { kind: 'knock' } });
      expect(JSON.parse(fcm.accepted[0]!.data.knock!)).toEqual(knockPayload.kind === 'knock' ? knockPayload.knock : null);
      expect(JSON.parse(fcm.accepted[1]!.data.message!)).toEqual({ message: { token: 'e'.repeat(40), data: '' } });
      fcm.unregistered.add('dead-token');
      expect((await f.send(device('fcm', 'dead-token'), knockPayload, 600, true)).kind).toBe('gone');
      expect(fcm.problems).toEqual([]);
    } finally {
      f.close();
    }
  });

  it('Web Push: aes128gcm payload that decrypts with the subscription keys, VAPID JWT, TTL and Urgency; 410 means gone', async () => {
    const w = new WebPushAdapter({ vapidKey: vapidKey.privateKey, subject: 'mailto:ops@example.org', ca });
    try {
      const sub = wp.subscribe('s1');
      expect(await w.send(device('webpush', JSON.stringify(sub.subscription)), knockPayload, 120, true)).toEqual({ kind: 'ok' });
      expect(wp.accepted[0]).toMatchObject({ id: 's1', ttl: 120, urgency: 'high' });
      expect(JSON.parse(wp.accepted[0]!.plaintext)).toEqual(knockPayload);
      const gone = wp.subscribe('s2');
      wp.gone.add('s2');
      expect((await w.send(device('webpush', JSON.stringify(gone.subscription)), knockPayload, 120, true)).kind).toBe('gone');
      expect(wp.problems).toEqual([]);
    } finally {
      w.close();
    }
  });

  it('Web Push encryption reproduces RFC 8291 section 5 and the receiver side decrypts it', () => {
    const b = (s: string) => Buffer.from(s, 'base64url');
    const as = createECDH('prime256v1');
    as.setPrivateKey(b('yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw'));
    const ua = createECDH('prime256v1');
    ua.setPrivateKey(b('q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94'));
    expect(ua.getPublicKey().toString('base64url')).toBe('BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4');
    const body = encryptWebPush(
      Buffer.from('When I grow up, I want to be a watermelon'),
      ua.getPublicKey(),
      b('BTBZMqHH6r4Tts7J_aSIgg'),
      b('DGv6ra1nlYgDCS1FRnbzlw'),
      as,
    );
    expect(body.toString('base64url')).toBe(
      'DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN',
    );
    expect(
      decryptWebPush(body, { ecdh: ua, auth: b('BTBZMqHH6r4Tts7J_aSIgg'), subscription: { endpoint: '', keys: { p256dh: '', auth: '' } } }).toString(),
    ).toBe('When I grow up, I want to be a watermelon');
  });

  it('the server process fans a knock out through all three adapters and drops a device whose registration is gone', async () => {
    const apnsFile = join(dir, 'apns.p8');
    writeFileSync(apnsFile, apnsKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const saFile = join(dir, 'sa.json');
    writeFileSync(saFile, JSON.stringify(serviceAccount()));
    const vapidFile = join(dir, 'vapid.pem');
    writeFileSync(vapidFile, vapidKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const dataDir = tempDir();
    const server = await startServer([
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--ca',
      pki.caFile,
      '--apns-key',
      apnsFile,
      '--apns-key-id',
      KID,
      '--apns-team-id',
      TEAM,
      '--apns-topic',
      TOPIC,
      '--apns-url',
      apns.url,
      '--fcm-service-account',
      saFile,
      '--fcm-url',
      fcm.url,
      '--vapid-key',
      vapidFile,
      '--vapid-subject',
      'mailto:ops@example.org',
      '--log-level',
      'info',
    ]);
    const c = new PushClient({ endpoint: server.endpoint });
    try {
      await c.createOrLogin('pat', 'pat-password');
      const apnsTok = 'd4'.repeat(32);
      await c.registerDevice('apns', { registration_id: apnsTok });
      await c.registerDevice('fcm', { registration_id: 'fcm-e2e' });
      const sub = wp.subscribe('e2e');
      await c.registerDevice('webpush', { registration_id: JSON.stringify(sub.subscription) });
      const goneSub = wp.subscribe('e2e-gone');
      wp.gone.add('e2e-gone');
      const goneDev = await c.registerDevice('webpush', { registration_id: JSON.stringify(goneSub.subscription) });
      const knock = makeKnock({ endpoint: server.endpoint, push_name: 'pat' }, { endpoint: server.endpoint, push_name: 'pat' });
      await c.sendKnock(knock);
      await server.waitForLog(/push registration gone, removing device/);
      await expect
        .poll(
          () => [
            apns.accepted.some((x) => x.deviceToken === apnsTok),
            fcm.accepted.some((x) => x.token === 'fcm-e2e'),
            wp.accepted.some((x) => x.id === 'e2e'),
          ],
          { timeout: 20_000 },
        )
        .toEqual([true, true, true]);
      expect(JSON.parse(wp.accepted.find((x) => x.id === 'e2e')!.plaintext)).toEqual({ kind: 'knock', knock });
      expect((await c.listDevices('webpush')).map((d) => d.id)).not.toContain(goneDev.id);
      expect([apns.problems, fcm.problems, wp.problems]).toEqual([[], [], []]);
    } finally {
      c.close();
      await server.stop();
      removeDir(dataDir);
    }
  });
});
