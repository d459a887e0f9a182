// STARTTLS (RFC 6120 §5) with certificate verification always on and an optional extra CA.
// @xmpp/starttls upgrades with only `{ host }`, so a custom CA (the local stack's) could not be
// trusted there; this module does the same negotiation with full TLS options.
// RFC 6120 §13.7.2 / RFC 6125 §6: the certificate must be valid for the XMPP *domain*, not for the
// host we happen to connect to, hence `servername: domain`.
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { Socket as NetSocket } from 'node:net';
import { promise } from '@xmpp/events';
import xml from '@xmpp/xml';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import type { StreamFeatures } from '@xmpp/stream-features';

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

export function starttls({ streamFeatures, domain, extraCaPem }: { streamFeatures: StreamFeatures; domain: string; extraCaPem?: string | undefined }): void {
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
    tlsSocket.connect({ socket, ...tlsOptions(domain, extraCaPem) });
    await promise(tlsSocket, 'connect');
    entity._attachSocket(tlsSocket);
    await entity.restart();
  });
}
