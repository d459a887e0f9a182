// The group service as an XMPP component (XEP-0114, @xmpp/component). Each group is a JID of the
// component's domain (<group>@groups.example.org); the protocol travels as JSON in <body/> of
// headline messages (RFC 6121 §5.2.2: a headline to an unavailable resource is discarded, not
// stored offline — the service keeps its own log, fetched by sequence number, so nothing is
// delivered twice). A delivery error or an unavailable presence marks the connection gone.
// Reaching users of other domains is the XMPP server's job (s2s, RFC 6120 §13).
import type { GroupService, Outgoing } from '../../src-shared/groups/service';
import { bringOnline, component, NS_DISCO_INFO, takeDown, xml } from '../xmpp-component';

export const NS_GROUPS = 'urn:xmpp:messenger:verified-groups:1';

export interface GroupComponentOptions {
  service: string;
  domain: string;
  password: string;
  groups: GroupService;
  log?: (line: string) => void;
}

export interface RunningGroupComponent {
  send(out: Outgoing[]): Promise<void>;
  stop(): Promise<void>;
}

/** the group id of a JID of ours, or null (the domain itself, another domain, a bad local part) */
function groupOf(jid: string | undefined, domain: string): string | null {
  if (!jid) return null;
  const bare = jid.split('/')[0]!.toLowerCase();
  const at = bare.indexOf('@');
  if (at <= 0 || bare.slice(at + 1) !== domain.toLowerCase()) return null;
  const local = bare.slice(0, at);
  return /^[a-z0-9-]{1,64}$/.test(local) ? local : null;
}

export async function startGroupComponent(o: GroupComponentOptions): Promise<RunningGroupComponent> {
  const entity = component({ service: o.service, domain: o.domain, password: o.password });
  const log = o.log ?? (() => undefined);
  entity.on('error', (e) => log(`component error: ${e.message}`));
  entity.iqCallee.get(NS_DISCO_INFO, 'query', () =>
    xml(
      'query',
      { xmlns: NS_DISCO_INFO },
      xml('identity', { category: 'component', type: 'generic', name: 'Verified groups' }),
      xml('feature', { var: NS_DISCO_INFO }),
      xml('feature', { var: NS_GROUPS }),
    ),
  );

  const send = async (out: Outgoing[]): Promise<void> => {
    await Promise.all(
      out.map((m) => {
        const group = m.body.match(/"group":"([a-z0-9-]{1,64})"/)?.[1];
        const from = group ? `${group}@${o.domain}` : o.domain;
        return entity.send(xml('message', { from, to: m.to, type: 'headline' }, xml('body', {}, m.body), xml('no-copy', { xmlns: 'urn:xmpp:hints' })));
      }),
    );
  };
  const fail = (e: unknown): void => log(`handling a stanza failed: ${e instanceof Error ? e.message : String(e)}`);

  entity.on('stanza', (stanza) => {
    const from = stanza.attrs.from;
    const group = groupOf(stanza.attrs.to, o.domain);
    if (!from || !group) return;
    // a bounce of one of our deliveries, or the device going away: forget that connection
    const gone = (stanza.name === 'message' && stanza.attrs.type === 'error') || (stanza.name === 'presence' && stanza.attrs.type === 'unavailable');
    if (gone) {
      o.groups.disconnected(from, group).then(send).catch(fail);
      return;
    }
    if (stanza.name !== 'message') return;
    const body = stanza.getChildText('body');
    if (body === null) return;
    o.groups.handle(from, group, body).then(send).catch(fail);
  });

  await bringOnline(entity);
  log(`group service online as ${o.domain}`);
  return {
    send,
    stop: () => takeDown(entity),
  };
}
