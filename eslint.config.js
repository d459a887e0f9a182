// Lint rules, including the import boundaries of docs/architecture.md §2 ("a file's imports show its
// room"). Each room is an ALLOWLIST of what it may import (rooms below; the rule is
// scripts/lint/boundary-rule.js), checked for static and type imports, re-exports, dynamic
// import(), require() and import types. scripts/lint-boundaries.test.ts proves each rule with a
// file that must fail. docs/ui.md "Import boundaries" describes the rooms for people.
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boundaryRule } from './scripts/lint/boundary-rule.js';

const root = dirname(fileURLToPath(import.meta.url));

/** the shared rooms that run anywhere (Electron renderer, browser, Node): no Node built-ins */
const SHARED_PURE = ['src-shared/otr', 'src-shared/ipc', 'src-shared/prekey', 'src-shared/push', 'src-shared/groups', 'src-shared/encoding'];
/** Node-only shared code lives in rooms named src-shared/node-* (node-crypto, and the push client) */
const SHARED_NODE = 'src-shared/node-*';
const SHARED_ALL = [...SHARED_PURE, SHARED_NODE];

/**
 * Most specific first: a file belongs to the first room whose path holds it. `pure` rooms run in
 * a browser too (no Node, nothing that needs Node, no computed dynamic imports); a pure room may
 * list only pure rooms, so what it reaches is pure transitively (checked by the lint test).
 */
export const rooms = [
  {
    name: 'src-shared/otr',
    paths: ['src-shared/otr'],
    pure: true,
    may: { rooms: ['src-shared/otr'], packages: ['@noble/*'] },
    why: 'the OTR library is pure: I/O and randomness are injected (docs/architecture.md §2)',
  },
  {
    name: 'src-shared/ipc',
    paths: ['src-shared/ipc'],
    pure: true,
    may: { rooms: ['src-shared/ipc'], packages: ['zod'] },
    why: 'the IPC contract is loaded by the renderer too (docs/architecture.md §2)',
  },
  {
    name: 'src-shared/prekey',
    paths: ['src-shared/prekey'],
    pure: true,
    may: { rooms: ['src-shared/prekey', 'src-shared/otr'], packages: ['@noble/*'] },
    why: 'the prekey protocol is pure like the OTR library it builds on (docs/architecture.md §2)',
  },
  {
    name: 'src-shared/push',
    paths: ['src-shared/push'],
    pure: true,
    may: { rooms: ['src-shared/push', 'src-shared/encoding'], packages: ['@noble/*', 'zod'] },
    why: 'the push wire format and sealing are pure; Node-only push code goes to src-shared/node-* (docs/architecture.md §2)',
  },
  {
    name: 'src-shared/groups',
    paths: ['src-shared/groups'],
    pure: true,
    may: { rooms: ['src-shared/groups', 'src-shared/otr', 'src-shared/encoding'], packages: ['@noble/*', 'zod'] },
    why: 'the group protocol (codecs, pairwise and group encryption, both state machines) is pure like the OTR library it builds on (docs/architecture.md §11)',
  },
  {
    name: 'src-shared/encoding',
    paths: ['src-shared/encoding'],
    pure: true,
    may: { rooms: ['src-shared/encoding'] },
    why: 'byte encodings shared by the pure protocol rooms (push, groups): pure, and nothing of theirs',
  },
  {
    name: SHARED_NODE,
    paths: [SHARED_NODE],
    may: { rooms: SHARED_ALL, node: true, packages: ['@noble/*', 'zod', 'ws'] },
    why: 'Node-only shared code, for src-main and src-server only',
  },
  {
    // any other folder of src-shared must first be given a room above
    name: 'src-shared',
    paths: ['src-shared'],
    pure: true,
    may: { rooms: [] },
    why: 'name a new src-shared room in eslint.config.js first',
  },
  {
    name: 'src-renderer',
    paths: ['src-renderer'],
    pure: true,
    may: { rooms: ['src-renderer', 'src-shared/ipc'], packages: ['react', 'react-dom', 'zustand', 'zod'] },
    why: 'the renderer is sandboxed web code and reaches the core only through the IPC contract (docs/architecture.md §2, 3)',
  },
  {
    name: 'src-preload',
    paths: ['src-preload'],
    pure: true,
    may: { rooms: ['src-preload', 'src-shared/ipc'], packages: ['electron'] },
    why: 'the preload exposes the IPC contract and nothing else (docs/architecture.md §3)',
  },
  {
    name: 'src-main/app',
    paths: ['src-main/app'],
    may: { rooms: ['src-main/app', 'src-main/core', 'src-main/host', ...SHARED_ALL], node: true, packages: ['electron'] },
    why: 'the Electron shell: only it (and the preload) imports electron (docs/architecture.md §2)',
  },
  {
    name: 'src-main/core',
    paths: ['src-main/core'],
    may: {
      rooms: ['src-main/core', ...SHARED_ALL],
      node: true,
      packages: ['@xmpp/*', 'saslmechanisms', '@signalapp/sqlcipher', 'keytar', 'ws', 'zod', '@noble/*'],
    },
    why: 'the core is Electron-free and knows no UI (docs/architecture.md §2)',
  },
  {
    name: 'src-main/host',
    paths: ['src-main/host'],
    may: { rooms: ['src-main/host', 'src-main/core', ...SHARED_ALL], node: true, packages: ['ws', 'zod'] },
    why: 'the browser host serves the core over a WebSocket; it is Electron-free (docs/architecture.md §2)',
  },
  {
    name: 'src-server',
    paths: ['src-server'],
    // tsx: the servers run from their TypeScript sources through it (package.json scripts); the
    // prekey server's worker threads register it themselves (src-server/prekey/verify-worker-boot.mjs)
    may: { rooms: ['src-server', ...SHARED_ALL], node: true, packages: ['ws', 'pg', 'zod', '@signalapp/sqlcipher', '@xmpp/*', '@noble/*', 'tsx'] },
    why: 'servers share code with the clients only through src-shared (docs/architecture.md §2)',
  },
];

/** tests and test helpers run in Node under vitest, with the local stack and test servers */
export const testExtras = {
  rooms: ['scripts/stack', 'scripts/test-support', SHARED_NODE],
  packages: ['vitest', 'fast-check', 'ws'],
  /** test helpers not named *.test.ts nor under a test-support/ folder */
  files: ['src-server/push/storage/suite.ts'],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'playwright-report/**', '**/*.c'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    plugins: { boundaries: { rules: { imports: boundaryRule } } },
    rules: { 'boundaries/imports': ['error', { rooms, testExtras, root }] },
  },
);
