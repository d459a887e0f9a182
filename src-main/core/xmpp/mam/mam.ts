// Message Archive Management (XEP-0313, urn:xmpp:mam:2) with Result Set Management (XEP-0059):
// the query for the account's own archive (everything, or one contact's conversation), the
// <result/> messages the server streams back, and the <fin/> that closes a page. Pure; the
// parsers never throw: hostile or malformed input yields null.
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../../../../src-shared/ipc/jid';
import { NS_FORWARD } from '../carbons/carbons';
import { NS_DELAY, NS_SID } from '../messages/messages';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_DATA = 'jabber:x:data';
const MAX_ID = 256;

export interface MamQuery {
  queryId: string;
  /** only the conversation with this bare JID (XEP-0313 §4.1.1 "with") */
  with?: string | undefined;
  /** ms: messages at or after this time (§4.1.2 "start") */
  start?: number | undefined;
  /** ms: messages at or before this time (§4.1.2 "end") */
  end?: number | undefined;
  /** RSM: the page after this archive id (forwards, XEP-0059 §2.2) */
  after?: string | undefined;
  /** RSM: the page before this archive id, or `true` for the last page (backwards, XEP-0059 §2.5) */
  before?: string | true | undefined;
  max: number;
}

/** XEP-0082 DateTime, whole seconds (what every server parses) */
function stamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function field(name: string, value: string): Element {
  return xml('field', { var: name }, xml('value', {}, value));
}

/** XEP-0313 §4: <iq type='set'><query/></iq> to our own archive (no 'to') */
export function buildMamQuery(q: MamQuery): Element {
  const fields = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM))];
  if (q.with !== undefined) fields.push(field('with', q.with));
  if (q.start !== undefined) fields.push(field('start', stamp(q.start)));
  // 'end' is inclusive and the stamp is cut to whole seconds: round up so nothing at the edge is lost
  if (q.end !== undefined) fields.push(field('end', stamp(q.end + 999)));
  const rsm = [xml('max', {}, String(q.max))];
  if (q.after !== undefined) rsm.push(xml('after', {}, q.after));
  if (q.before === true) rsm.push(xml('before'));
  else if (q.before !== undefined) rsm.push(xml('before', {}, q.before));
  return xml(
    'iq',
    { type: 'set' },
    xml('query', { xmlns: NS_MAM, queryid: q.queryId }, xml('x', { xmlns: NS_DATA, type: 'submit' }, ...fields), xml('set', { xmlns: NS_RSM }, ...rsm)),
  );
}

function safeId(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID ? v : null;
}

export interface ArchivedItem {
  queryId: string;
  /** the archive's id of the message (XEP-0313 §4.2, also its XEP-0359 stanza-id) */
  archiveId: string;
  /** when the server archived it (XEP-0297 <delay/>) */
  timestamp: number;
  /** the archived <message/> as it was sent or received */
  message: Element;
}

/**
 * A <message/> carrying an archive result (XEP-0313 §4.2): null when `el` is not one, 'malformed'
 * when it claims to be one but is not acceptable: from anyone but our own account (§6.1.2: the
 * archive of a user is its bare JID; absent means our server), several results, no single
 * forwarded message (XEP-0297 §3), no valid delay stamp, no id.
 */
export function parseMamResult(el: Element, ownBare: string): ArchivedItem | 'malformed' | null {
  if (!el.is('message')) return null;
  const results = el.getChildren('result', NS_MAM);
  if (results.length === 0) return null;
  const from = el.attrs.from;
  if (from !== undefined && (from !== ownBare || bareJid(from) !== ownBare)) return 'malformed';
  if (results.length !== 1) return 'malformed';
  const result = results[0] as Element;
  const queryId = safeId(result.attrs.queryid);
  const archiveId = safeId(result.attrs.id);
  if (!queryId || !archiveId) return 'malformed';
  const forwarded = result.getChildren('forwarded', NS_FORWARD);
  if (forwarded.length !== 1) return 'malformed';
  const fw = forwarded[0] as Element;
  const delays = fw.getChildren('delay', NS_DELAY);
  const inner = fw.getChildren('message').filter((m) => m.attrs.xmlns === undefined || m.attrs.xmlns === 'jabber:client');
  if (delays.length !== 1 || inner.length !== 1) return 'malformed';
  const t = Date.parse(String((delays[0] as Element).attrs.stamp ?? ''));
  if (!Number.isFinite(t) || t < Date.UTC(2000, 0, 1) || t > Date.now() + 60_000) return 'malformed';
  return { queryId, archiveId, timestamp: t, message: inner[0] as Element };
}

/** XEP-0313 §4.3: the <fin/> of a page; null when the answer has none */
export function parseFin(iq: Element): { complete: boolean; first: string | null; last: string | null } | null {
  const fin = iq.getChild('fin', NS_MAM);
  if (!fin) return null;
  const set = fin.getChild('set', NS_RSM);
  return {
    complete: fin.attrs.complete === 'true' || fin.attrs.complete === '1',
    first: safeId(set?.getChildText('first')),
    last: safeId(set?.getChildText('last')),
  };
}

/**
 * XEP-0359 §3: the id our archive gave a live message (<stanza-id by='our bare JID'/>). Our server
 * removes any such element a sender put in (§5), so it names the archive entry of this message.
 */
export function ownStanzaId(el: Element, ownBare: string): string | null {
  for (const s of el.getChildren('stanza-id', NS_SID)) if (s.attrs.by === ownBare) return safeId(s.attrs.id);
  return null;
}
