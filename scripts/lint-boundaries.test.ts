// Proves that the import boundaries (docs/architecture.md §2, docs/ui.md "Import boundaries") are
// enforced by lint, not goodwill: each room is an allowlist, and every rule below has a file that
// must fail next to one that must pass. Files are linted as text under a path inside the room.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { rooms } from '../eslint.config.js';

const eslint = new ESLint({ cwd: process.cwd() });

/** how many boundary errors linting `code` as the file `filePath` gives */
async function refusals(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result!.messages.filter((m) => m.fatal);
  if (fatal.length > 0) throw new Error(`parse error in the sample: ${fatal[0]!.message}`);
  return result!.messages.filter((m) => m.ruleId === 'boundaries/imports').length;
}

/** every way a module is reached, each as a whole file */
const ways = (spec: string): Record<string, string> => ({
  static: `import * as m from '${spec}';\nexport const a = m;\n`,
  typeOnly: `import type * as m from '${spec}';\nexport type A = typeof m;\n`,
  reexport: `export { x } from '${spec}';\n`,
  reexportAll: `export * from '${spec}';\n`,
  dynamic: `export const a = () => import('${spec}');\n`,
  require: `export const a = require('${spec}');\n`,
  importType: `export type A = typeof import('${spec}');\n`,
});

async function expectRefusedEveryWay(filePath: string, spec: string): Promise<void> {
  for (const [way, code] of Object.entries(ways(spec))) expect({ way, n: await refusals(filePath, code) }).toEqual({ way, n: 1 });
}

const imp = (spec: string): string => `import * as m from '${spec}';\nexport const a = m;\n`;

describe('import boundaries', () => {
  it("only src-main/app (and the preload, for contextBridge) imports 'electron', by any kind of import", async () => {
    await expectRefusedEveryWay('src-main/core/x.ts', 'electron');
    for (const f of [
      'src-main/host/x.ts',
      'src-server/push/x.ts',
      'src-shared/otr/x.ts',
      'src-shared/ipc/x.ts',
      'src-shared/node-crypto/x.ts',
      'src-renderer/x.ts',
    ]) {
      expect({ f, n: await refusals(f, imp('electron')) }).toEqual({ f, n: 1 });
    }
    expect(await refusals('src-main/app/x.ts', imp('electron'))).toBe(0);
    expect(await refusals('src-preload/x.ts', imp('electron'))).toBe(0);
  });

  it('lets the renderer import only react, react-dom, zustand, zod, the IPC contract and its own files', async () => {
    for (const spec of [
      '../src-main/core/y',
      '../src-shared/otr/v3/y',
      '../src-shared/push/wire',
      '../src-shared/prekey/messages',
      '../src-shared/node-crypto/dh-engines',
      '../src-preload/y',
      'node:fs',
      'fs',
      'ws',
      'keytar',
      '@noble/hashes/sha3.js',
    ]) {
      expect({ spec, n: await refusals('src-renderer/x.ts', imp(spec)) }).toEqual({ spec, n: 1 });
    }
    await expectRefusedEveryWay('src-renderer/x.ts', 'ws');
    for (const spec of ['react', 'react-dom/client', 'zustand/vanilla', 'zod', '../src-shared/ipc/contract', './store']) {
      expect({ spec, n: await refusals('src-renderer/x.ts', imp(spec)) }).toEqual({ spec, n: 0 });
    }
    // a module named at run time cannot be checked
    expect(await refusals('src-renderer/x.ts', 'export const a = (n: string) => import(n);\n')).toBe(1);
  });

  it('keeps the OTR library pure: only @noble/* and itself', async () => {
    await expectRefusedEveryWay('src-shared/otr/v3/x.ts', 'node:crypto');
    for (const spec of ['../../node-crypto/dh-engines', '../../../src-main/core/y', '../../ipc/contract', '../../prekey/messages', 'zod', 'ws']) {
      expect({ spec, n: await refusals('src-shared/otr/v3/x.ts', imp(spec)) }).toEqual({ spec, n: 1 });
    }
    expect(await refusals('src-shared/otr/v3/x.ts', 'export const a = (n: string) => require(n);\n')).toBe(1);
    for (const spec of ['@noble/hashes/sha3.js', '@noble/curves/ed448.js', '../common/bytes']) {
      expect({ spec, n: await refusals('src-shared/otr/v3/x.ts', imp(spec)) }).toEqual({ spec, n: 0 });
    }
  });

  it('keeps the other pure shared rooms (ipc, prekey, push) free of Node and of node-only rooms', async () => {
    for (const [f, spec] of [
      ['src-shared/ipc/x.ts', 'ws'],
      ['src-shared/ipc/x.ts', 'node:events'],
      ['src-shared/ipc/x.ts', '../otr/api'],
      ['src-shared/prekey/x.ts', 'node:crypto'],
      ['src-shared/prekey/x.ts', '../node-crypto/dh-engines'],
      ['src-shared/push/x.ts', 'node:https'],
      ['src-shared/push/x.ts', 'ws'],
      ['src-shared/push/x.ts', '../node-push/client'],
      // a src-shared folder without a room of its own may import nothing
      ['src-shared/newroom/x.ts', '../otr/api'],
    ]) {
      expect({ f, spec, n: await refusals(f!, imp(spec!)) }).toEqual({ f, spec, n: 1 });
    }
    expect(await refusals('src-shared/ipc/x.ts', imp('zod'))).toBe(0);
    expect(await refusals('src-shared/prekey/x.ts', imp('../otr/v4/keys'))).toBe(0);
    expect(await refusals('src-shared/push/x.ts', imp('@noble/ciphers/chacha.js'))).toBe(0);
  });

  it('lets only src-main and src-server use the node-only shared rooms (src-shared/node-*)', async () => {
    expect(await refusals('src-shared/node-crypto/x.ts', imp('node:crypto'))).toBe(0);
    expect(await refusals('src-shared/node-push/x.ts', imp('node:https'))).toBe(0);
    expect(await refusals('src-main/core/x.ts', imp('../../src-shared/node-crypto/dh-engines'))).toBe(0);
    expect(await refusals('src-server/push/x.ts', imp('../../src-shared/node-push/client'))).toBe(0);
    for (const [f, spec] of [
      ['src-preload/x.ts', '../src-shared/node-crypto/dh-engines'],
      ['src-renderer/x.ts', '../src-shared/node-crypto/dh-engines'],
      ['src-shared/otr/x.ts', '../node-crypto/dh-engines'],
      ['src-shared/ipc/x.ts', '../node-push/client'],
    ]) {
      expect({ f, n: await refusals(f!, imp(spec!)) }).toEqual({ f, n: 1 });
    }
  });

  it('is transitive: a pure room may only list pure rooms, so nothing it reaches needs Node', () => {
    const pure = rooms.filter((r) => r.pure);
    const isPure = (p: string) => pure.some((r) => r.paths.includes(p));
    for (const r of pure) for (const p of r.may.rooms) expect({ room: r.name, may: p, pure: isPure(p) }).toEqual({ room: r.name, may: p, pure: true });
    for (const r of pure) expect({ room: r.name, node: r.may.node === true }).toEqual({ room: r.name, node: false });
  });

  it('keeps the core Electron-free and UI-free, and the host out of the app', async () => {
    for (const spec of ['../../src-renderer/store', '../app/main', '../../src-server/push/wire', 'react']) {
      expect({ spec, n: await refusals('src-main/core/x.ts', imp(spec)) }).toEqual({ spec, n: 1 });
    }
    expect(await refusals('src-main/host/x.ts', imp('../app/main'))).toBe(1);
    expect(await refusals('src-main/host/x.ts', imp('keytar'))).toBe(1);
    expect(await refusals('src-main/core/x.ts', imp('keytar'))).toBe(0);
    expect(await refusals('src-main/host/x.ts', imp('../core/api'))).toBe(0);
  });

  it('keeps servers apart from the client programs, and the preload to the IPC contract', async () => {
    for (const spec of ['../../src-main/core/y', '../../src-renderer/y', 'keytar', 'react']) {
      expect({ spec, n: await refusals('src-server/push/x.ts', imp(spec)) }).toEqual({ spec, n: 1 });
    }
    for (const spec of ['../src-main/core/y', '../src-shared/otr/api', 'node:fs']) {
      expect({ spec, n: await refusals('src-preload/x.ts', imp(spec)) }).toEqual({ spec, n: 1 });
    }
  });

  it('lets tests use Node and test tools, but never another program or electron; program code never imports test code', async () => {
    expect(await refusals('src-shared/otr/v3/x.test.ts', "import fs from 'node:fs';\nimport { it } from 'vitest';\nexport const a = [fs, it];\n")).toBe(0);
    expect(await refusals('src-shared/otr/v3/x.test.ts', imp('../../../src-main/core/y'))).toBe(1);
    expect(await refusals('src-shared/otr/v3/x.test.ts', imp('electron'))).toBe(1);
    expect(await refusals('src-shared/otr/v3/x.ts', imp('../test-support/vectors'))).toBe(1);
    expect(await refusals('src-main/core/x.ts', imp('./test-support/harness'))).toBe(1);
  });
});
