// The local APNs and FCM stand-ins (push-services.ts) with the key files and options a push
// server needs to deliver to them: servers refuse to register a device kind they have no
// credentials for, so a test that registers iOS or Android devices starts these.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, removeDir, tempDir } from './harness';
import { startApns, startFcm, type ApnsService, type FcmService } from './push-services';

export interface AdapterStack {
  apns: ApnsService;
  fcm: FcmService;
  /** options for startServer: APNs and FCM credentials pointing at the stand-ins */
  args: string[];
  close(): Promise<void>;
}

export async function startAdapterStack(): Promise<AdapterStack> {
  const pki = makePki();
  const dir = tempDir('push-adapters-');
  const apnsKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const saKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const [team, kid, topic, project, email] = [
    'TEAM123456',
    'KEY1234567',
    'org.example.messenger',
    'messenger-test',
    'push@messenger-test.iam.gserviceaccount.com',
  ];
  const apns = await startApns({ certFile: pki.certFile, keyFile: pki.keyFile, teamId: team, keyId: kid, topic, publicKey: apnsKey.publicKey });
  const fcm = await startFcm({ certFile: pki.certFile, keyFile: pki.keyFile, projectId: project, clientEmail: email, publicKey: saKey.publicKey });
  const apnsFile = join(dir, 'apns.p8');
  writeFileSync(apnsFile, apnsKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const saFile = join(dir, 'sa.json');
  writeFileSync(
    saFile,
    JSON.stringify({
      type: 'service_account',
      project_id: project,
      private_key_id: 'k1',
      private_key: saKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      client_email: email,
      token_uri: fcm.tokenUrl,
    }),
  );
  return {
    apns,
    fcm,
    args: [
      '--ca',
      pki.caFile,
      '--apns-key',
      apnsFile,
      '--apns-key-id',
      kid,
      '--apns-team-id',
      team,
      '--apns-topic',
      topic,
      '--apns-url',
      apns.url,
      '--fcm-service-account',
      saFile,
      '--fcm-url',
      fcm.url,
    ],
    async close() {
      await apns.close();
      await fcm.close();
      removeDir(dir);
      removeDir(pki.dir);
    },
  };
}
