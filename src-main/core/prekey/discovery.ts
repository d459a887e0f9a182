// Discovering a prekey server (OTRv4 prekey server spec §"Discovering a Prekey Server"): the
// domain's disco#items, disco#info of each item (a prekey server says so with its feature and an
// auth/otr-prekey identity), one of them chosen at random, and its fingerprint from its own
// disco#items, checked against the one pinned at first use (prekey/pins.ts).
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PREKEY_SERVER, type PrekeyXmpp } from './xmpp';
import { PrekeyError, PrekeyServerKeyChanged } from './errors';
import type { PrekeyServerInfo } from './client-types';

export interface DiscoveryOptions {
  xmpp: PrekeyXmpp;
  random: (n: number) => Uint8Array;
  /** server JID → the fingerprint (112 hex digits) pinned at first use */
  pinnedFingerprints?: Record<string, string> | undefined;
}

/** disco#items of `domain`, disco#info of each item, then the chosen server's fingerprint */
export async function discoverPrekeyServer(o: DiscoveryOptions, domain: string): Promise<PrekeyServerInfo> {
  let items;
  try {
    items = await o.xmpp.discoQuery(domain, NS_DISCO_ITEMS);
  } catch (e) {
    throw new PrekeyError('no-prekey-server', `cannot list the services of ${domain}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const candidates: string[] = [];
  for (const item of items.getChildren('item')) {
    const jid = item.attrs.jid;
    if (!jid || item.attrs.node) continue;
    try {
      const info = await o.xmpp.discoQuery(jid, NS_DISCO_INFO);
      const isPrekey =
        info.getChildren('feature').some((f) => f.attrs.var === NS_PREKEY_SERVER) &&
        info.getChildren('identity').some((i) => i.attrs.category === 'auth' && i.attrs.type === 'otr-prekey');
      if (isPrekey) candidates.push(jid);
    } catch {
      // an item that does not answer disco#info is simply not a prekey server
    }
  }
  if (candidates.length === 0) throw new PrekeyError('no-prekey-server', `no OTRv4 prekey server found on ${domain}`);
  // "a client should randomly choose one of the returned prekey servers" (they share storage)
  const pick = candidates[o.random(1)[0]! % candidates.length]!;
  const fpItems = await o.xmpp.discoQuery(pick, NS_DISCO_ITEMS);
  const fpItem = fpItems.getChildren('item').find((i) => i.attrs.node === 'fingerprint');
  const fingerprint = fpItem?.attrs.name?.toUpperCase();
  if (!fingerprint || !/^[0-9A-F]{112}$/.test(fingerprint)) {
    throw new PrekeyError('malformed-response', `prekey server ${pick} announces no valid fingerprint`);
  }
  const pinned = o.pinnedFingerprints?.[pick];
  if (pinned && pinned.toUpperCase() !== fingerprint) {
    throw new PrekeyServerKeyChanged(pick, fingerprint);
  }
  return { jid: pick, fingerprint };
}
