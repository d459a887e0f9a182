// Proves that the import boundaries of DESIGN.md section 2 are enforced by lint, not goodwill.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportErrors(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
}

describe('import boundaries', () => {
  it('refuses electron outside src-main/app and src-preload', async () => {
    expect(await restrictedImportErrors('src-main/core/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toBe(1);
    expect(await restrictedImportErrors('src-main/app/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toBe(0);
  });

  it('lets the renderer import only the IPC contract', async () => {
    expect(await restrictedImportErrors('src-renderer/x.ts', "import { x } from '../src-main/core/y';\nexport const a = x;\n")).toBe(1);
    expect(await restrictedImportErrors('src-renderer/x.ts', "import { x } from '../src-shared/otr/v3/y';\nexport const a = x;\n")).toBe(1);
    expect(await restrictedImportErrors('src-renderer/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toBe(1);
    expect(await restrictedImportErrors('src-renderer/x.ts', "import { x } from '../src-shared/ipc/contract';\nexport const a = x;\n")).toBe(0);
  });

  it('keeps the OTR library pure', async () => {
    expect(await restrictedImportErrors('src-shared/otr/v3/x.ts', "import { randomBytes } from 'node:crypto';\nexport const a = randomBytes;\n")).toBe(1);
    expect(await restrictedImportErrors('src-shared/otr/v3/x.ts', "import { x } from '../../../src-main/core/y';\nexport const a = x;\n")).toBe(1);
  });

  it('keeps servers apart from the client programs', async () => {
    expect(await restrictedImportErrors('src-server/push/x.ts', "import { x } from '../../src-main/core/y';\nexport const a = x;\n")).toBe(1);
  });
});
