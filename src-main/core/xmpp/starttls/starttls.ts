// STARTTLS (RFC 6120 §5) with certificate verification always on and an optional extra CA.
// @xmpp/starttls upgrades with only `{ host }`, so a custom CA (the local stack's) could not be
// trusted there; this module does the same negotiation with full TLS options.
// RFC 6120 §13.7.2 / RFC 6125 §6: the certificate must be valid for the XMPP *domain*, not for the
// host we happen to connect to, hence `servername: domain`.
// The handshake itself does not reject: certificate.ts decides right after it, before a byte is
// written, so that an untrusted certificate can be shown (and pinned) rather than only refused.
import { rootCertificates, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Socket as NetSocket } from 'node:net';
import { promise } from '@xmpp/events';
import xml from '@xmpp/xml';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import type { StreamFeatures } from '@xmpp/stream-features';
import { checkServerCertificate } from './certificate';

export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

export class StartTlsRefusedError extends Error {
  override readonly name = 'StartTlsRefusedError';
  constructor() {
    super('the server refused STARTTLS');
  }
}

/** TLS options for a connection to `domain`: system roots plus the extra CA, verification on. */
export function tlsOptions(domain: string, extraCaPem?: string): ConnectionOptions {
  return {
    servername: domain,
    ca: extraCaPem ? [...rootCertificates, extraCaPem] : [...rootCertificates],
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

export function starttls({
  streamFeatures,
  domain,
  extraCaPem,
  pinnedCertSha256,
}: {
  streamFeatures: StreamFeatures;
  domain: string;
  extraCaPem?: string | undefined;
  /** the certificate the user trusted for this account (certificate.ts), if any */
  pinnedCertSha256?: string | undefined;
}): void {
  streamFeatures.use('starttls', NS_TLS, async ({ entity }) => {
    const socket = entity.socket;
    // Already TLS (or not a TCP socket): nothing to upgrade.
    if (!(socket instanceof NetSocket) || entity.isSecure()) return;
    const answer = await (entity as unknown as { sendReceive(el: ReturnType<typeof xml>): Promise<ReturnType<typeof xml>> }).sendReceive(
      xml('starttls', { xmlns: NS_TLS }),
    );
    // RFC 6120 §5.4.2.2: <failure/> means the server closes the stream.
    if (!answer.is('proceed', NS_TLS)) throw new StartTlsRefusedError();
    const tlsSocket = new TlsSocket();
    tlsSocket.connect({ socket, ...tlsOptions(domain, extraCaPem), rejectUnauthorized: false });
    await promise(tlsSocket, 'connect');
    try {
      checkServerCertificate(tlsSocket.socket as TLSSocket, pinnedCertSha256);
    } catch (e) {
      (tlsSocket.socket as TLSSocket).destroy();
      throw e;
    }
    entity._attachSocket(tlsSocket);
    await entity.restart();
  });
}
