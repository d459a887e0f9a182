// The packaged app's Electron fuses (docs/ui.md "Packaging"): the signed binary must not run as
// plain Node with the keychain access of the messenger, nor take NODE_OPTIONS or --inspect, and
// it loads only its own integrity-checked app.asar. electron-builder flips these from the
// `electronFuses` block of build/electron-builder.yml (its FuseOptionsV1); this reads that block
// as written and checks each fuse, so that deleting or flipping one fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The `electronFuses:` mapping of the YAML file: its indented `name: true|false` lines. Anything
 * else inside the block (a typo'd value, a nested map) is an error, not silently skipped.
 */
function readFuses(yaml: string): Record<string, boolean> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => /^electronFuses:\s*(#.*)?$/.test(l));
  if (start < 0) throw new Error('no top-level electronFuses block');
  const fuses: Record<string, boolean> = {};
  for (const line of lines.slice(start + 1)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (!/^\s/.test(line)) break;
    const m = /^ {2}([A-Za-z]+):\s*(true|false)\s*(#.*)?$/.exec(line);
    if (!m) throw new Error(`unexpected line in electronFuses: ${line}`);
    if (m[1]! in fuses) throw new Error(`fuse ${m[1]} set twice`);
    fuses[m[1]!] = m[2] === 'true';
  }
  return fuses;
}

const config = readFileSync(new URL('../build/electron-builder.yml', import.meta.url), 'utf8');

describe('Electron fuses in the packaging config', () => {
  const fuses = readFuses(config);
  it.each([
    // ELECTRON_RUN_AS_NODE would turn the signed binary into a Node with our keychain identity
    ['runAsNode', false],
    // Chromium's cookie store encrypted with the OS key (the renderer keeps no cookies; defence in depth)
    ['enableCookieEncryption', true],
    // NODE_OPTIONS=--require … would inject code into the main process
    ['enableNodeOptionsEnvironmentVariable', false],
    // --inspect would open a debugger port into the main process
    ['enableNodeCliInspectArguments', false],
    // app.asar is checked against the hash embedded in the signed binary (macOS, Windows)
    ['enableEmbeddedAsarIntegrityValidation', true],
    // without it, an app/ folder next to app.asar would be loaded instead
    ['onlyLoadAppFromAsar', true],
  ] as const)('%s is %s', (name, value) => {
    expect(fuses[name]).toBe(value);
  });

  it('refuses a block it cannot read strictly', () => {
    expect(() => readFuses('electronFuses:\n  runAsNode: no\n')).toThrow(/unexpected line/);
    expect(() => readFuses('appId: x\n')).toThrow(/no top-level/);
    expect(readFuses('electronFuses:\n  runAsNode: false # off\nlinux:\n  x: true\n')).toEqual({ runAsNode: false });
  });

  it('keeps the ASAR integrity hash (the integrity fuse needs it embedded)', () => {
    expect(config).not.toMatch(/disableIntegrity:\s*true/);
    expect(config).toMatch(/^asar:\s*true\s*$/m);
  });
});
