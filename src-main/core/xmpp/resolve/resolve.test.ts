import { describe, expect, it } from 'vitest';
import { endpointsFromSrv, resolveEndpoints } from './resolve';

const srv = (name: string, port: number, priority: number, weight = 0) => ({ name, port, priority, weight });

describe('resolving a domain (RFC 6120 §3.2)', () => {
  it('uses an explicit host without any lookup', async () => {
    const lookup = () => Promise.reject(new Error('must not be called'));
    expect(await resolveEndpoints('example.org', { host: '127.0.0.1', port: 5300 }, lookup)).toEqual([{ host: '127.0.0.1', port: 5300 }]);
    expect(await resolveEndpoints('example.org', { host: 'xmpp.example.org' }, lookup)).toEqual([{ host: 'xmpp.example.org', port: 5222 }]);
  });

  it('orders SRV targets by priority, then weight', async () => {
    const lookup = async (name: string) => {
      expect(name).toBe('_xmpp-client._tcp.example.org');
      return [srv('b.example.org.', 5222, 20), srv('a.example.org', 5223, 10, 5), srv('c.example.org', 5222, 10, 50)];
    };
    expect(await resolveEndpoints('example.org', {}, lookup)).toEqual([
      { host: 'c.example.org', port: 5222 },
      { host: 'a.example.org', port: 5223 },
      { host: 'b.example.org', port: 5222 },
    ]);
  });

  it('falls back to the domain on port 5222 when there is no SRV record', async () => {
    expect(await resolveEndpoints('example.org', {}, () => Promise.reject(Object.assign(new Error('nx'), { code: 'ENOTFOUND' })))).toEqual([
      { host: 'example.org', port: 5222 },
    ]);
    expect(await resolveEndpoints('example.org', {}, async () => [])).toEqual([{ host: 'example.org', port: 5222 }]);
  });

  it('treats a "." target as "no XMPP service here" and drops invalid records', () => {
    expect(endpointsFromSrv([srv('.', 0, 0)])).toBeNull();
    expect(endpointsFromSrv([srv('', 5222, 0), srv('ok.example', 0, 0), srv('ok.example', 5222, 0)])).toEqual([{ host: 'ok.example', port: 5222 }]);
  });

  it('gives up on a lookup that hangs', async () => {
    expect(await resolveEndpoints('example.org', {}, () => new Promise(() => {}), 20)).toEqual([{ host: 'example.org', port: 5222 }]);
  });
});
