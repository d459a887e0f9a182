// Fetches the certificate an XMPP server presents after STARTTLS (RFC 6120 §5.4), without signing
// in and without trusting it: what the sign-in form shows when the certificate is not trusted
// (certificate.ts). Only the stream header, <starttls/> and the TLS handshake are exchanged; the
// connection is closed right after the handshake, nothing else is written on it.
import { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { StartTlsRefusedError, tlsOptions, NS_TLS } from './starttls';
import { certificateDetails, type CertificateDetails } from './certificate';

const PROBE_TIMEOUT_MS = 15_000;

/** reads from `socket` until `done(text so far)` says so; the stream's first bytes are small */
function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer) => {
      text += b.toString('utf8');
      if (text.length > 64_000) fail(new Error('the server sent too much before STARTTLS'));
      else if (done(text)) finish();
    };
    const onEnd = () => fail(new Error('the server closed the connection'));
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('end', onEnd);
    };
    const finish = () => {
      cleanup();
      resolve(text);
    };
    function fail(e: Error) {
      cleanup();
      reject(e);
    }
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('end', onEnd);
  });
}

export async function probeCertificate(domain: string, host: string, port: number, extraCaPem?: string): Promise<CertificateDetails> {
  const socket = new Socket();
  socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const features = readUntil(socket, (t) => t.includes('</stream:features>') || t.includes('<stream:features/>') || t.includes('</stream:stream>'));
    socket.write(
      `<?xml version='1.0'?><stream:stream to='${domain.replace(/[<>&'"]/g, '')}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
    if (!(await features).includes(NS_TLS)) throw new StartTlsRefusedError();
    const answer = readUntil(socket, (t) => /<(proceed|failure)\b/.test(t));
    socket.write(`<starttls xmlns='${NS_TLS}'/>`);
    if (!(await answer).includes('<proceed')) throw new StartTlsRefusedError();
    const tls = tlsConnect({ socket, ...tlsOptions(domain, extraCaPem), rejectUnauthorized: false });
    try {
      await new Promise<void>((resolve, reject) => {
        tls.once('secureConnect', resolve);
        tls.once('error', reject);
        // the timeout above destroys the TCP socket under it: no handshake will come
        tls.once('close', () => reject(Object.assign(new Error('the connection closed during the TLS handshake'), { name: 'TimeoutError' })));
      });
      return certificateDetails(tls);
    } finally {
      tls.destroy();
    }
  } finally {
    socket.destroy();
  }
}

/**
 * The certificate an account's server presents, as the IPC contract shows it (ServerCertificate):
 * found as a sign-in finds the server (RFC 6120 §3.2: the explicit host, else SRV, else the
 * domain), fetched by probeCertificate; a failure is mapped by `mapError` with the server's name.
 */
export async function serverCertificate(
  server: { jid: string; host?: string | null; port?: number | null },
  extraCaPem: string | undefined,
  resolve: (domain: string, o: { host: string | null; port: number | null }) => Promise<Array<{ host: string; port: number }>>,
  mapError: (e: unknown, where: string) => Error,
): Promise<{ server: string; trusted: boolean } & CertificateDetails> {
  const domain = server.jid.split('@')[1] ?? '';
  const where = server.host ?? domain;
  const [endpoint] = await resolve(domain, { host: server.host ?? null, port: server.port ?? null });
  if (!endpoint) throw mapError(new NoXmppServiceError(domain), where);
  const c = await probeCertificate(domain, endpoint.host, endpoint.port, extraCaPem).catch((e: unknown) => {
    throw mapError(e, where);
  });
  return { server: where, ...c, trusted: c.problem === undefined };
}

/** the domain's DNS says it offers no XMPP service (RFC 6120 §3.2.1, a "." SRV target) */
export class NoXmppServiceError extends Error {
  override readonly name = 'NoXmppServiceError';
  constructor(readonly domain: string) {
    super(`${domain} says it offers no XMPP service.`);
  }
}
