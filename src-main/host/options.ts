// Command-line options shared by the two start commands (`npm start` -> src-main/app/main.ts and
// `npm run web` -> src-main/host/cli.ts). docs/architecture.md §3: every instance runs on a profile directory
// (`--profile DIR` / MESSENGER_PROFILE) and two instances side by side share nothing.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface StartOptions {
  /** absolute profile directory, or undefined when neither --profile nor MESSENGER_PROFILE is set */
  profileDir?: string;
  /** extra trusted CA certificates (PEM), from --ca-file FILE / MESSENGER_CA_FILE */
  extraCaPem?: string;
  /** browser host only: --port N (0 = any free port) */
  port?: number;
  /** browser host only: --bind ADDR (only 127.0.0.1 is accepted, see server.ts) */
  bindAddress?: string;
}

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

const valueOptions = new Set(['--profile', '--ca-file', '--port', '--bind']);

/**
 * Parses `--name value` and `--name=value`. Unknown options are ignored on purpose: Electron and
 * Chromium add switches of their own to the app's argv.
 */
export function parseStartOptions(argv: readonly string[], env: NodeJS.ProcessEnv): StartOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!valueOptions.has(name)) continue;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new OptionsError(`${name} needs a value`);
    values.set(name, value);
  }
  const out: StartOptions = {};
  const profile = values.get('--profile') ?? env.MESSENGER_PROFILE;
  if (profile) out.profileDir = resolve(profile);
  const caFile = values.get('--ca-file') ?? env.MESSENGER_CA_FILE;
  if (caFile) {
    try {
      out.extraCaPem = readFileSync(caFile, 'utf8');
    } catch {
      throw new OptionsError(`cannot read the CA file ${caFile}`);
    }
    if (!out.extraCaPem.includes('-----BEGIN CERTIFICATE-----')) throw new OptionsError(`${caFile} holds no PEM certificate`);
  }
  const port = values.get('--port');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) throw new OptionsError(`--port: not a port number: ${port}`);
    out.port = Number(port);
  }
  const bind = values.get('--bind');
  if (bind !== undefined) out.bindAddress = bind;
  return out;
}
