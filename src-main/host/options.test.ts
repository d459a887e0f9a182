import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OptionsError, parseStartOptions } from './options';

const dir = mkdtempSync(join(tmpdir(), 'options-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('start options (--profile / MESSENGER_PROFILE, docs/architecture.md §3)', () => {
  it('takes the profile from --profile, else from MESSENGER_PROFILE, as an absolute path', () => {
    expect(parseStartOptions(['--profile', 'p1'], {}).profileDir).toBe(resolve('p1'));
    expect(parseStartOptions(['--profile=/x/p2'], { MESSENGER_PROFILE: '/y' }).profileDir).toBe('/x/p2');
    expect(parseStartOptions([], { MESSENGER_PROFILE: '/y' }).profileDir).toBe('/y');
    expect(parseStartOptions([], {}).profileDir).toBeUndefined();
  });

  it('ignores switches it does not know (Electron and Chromium add their own)', () => {
    expect(parseStartOptions(['--no-sandbox', '--inspect=0', 'out/main/index.js', '--profile', '/p'], {})).toEqual({ profileDir: '/p' });
  });

  it('reads a PEM CA file and refuses anything else with a typed error', () => {
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(parseStartOptions(['--ca-file', pem], {}).extraCaPem).toContain('BEGIN CERTIFICATE');
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'hello');
    expect(() => parseStartOptions(['--ca-file', junk], {})).toThrow(OptionsError);
    expect(() => parseStartOptions(['--ca-file', join(dir, 'missing.pem')], {})).toThrow(OptionsError);
  });

  it('validates --port and requires values', () => {
    expect(parseStartOptions(['--port', '8080'], {}).port).toBe(8080);
    expect(parseStartOptions(['--port', '0'], {}).port).toBe(0);
    for (const bad of ['65536', '-1', 'abc', '80.5', '']) expect(() => parseStartOptions(['--port', bad], {})).toThrow(OptionsError);
    expect(() => parseStartOptions(['--profile'], {})).toThrow(OptionsError);
  });

  it('passes --bind through so that the host can refuse a non-loopback address', () => {
    expect(parseStartOptions(['--bind', '0.0.0.0'], {}).bindAddress).toBe('0.0.0.0');
  });
});
