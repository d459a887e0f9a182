// Lint rules, including the import boundaries of DESIGN.md section 2 ("a file's imports show its
// room"). The boundary rules are data (`boundaries` below) so that scripts/lint-boundaries.test.ts
// can prove that a forbidden import fails.
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** paths a room may not import from, as glob patterns for no-restricted-imports */
const forbid = (groups, message) => ({ group: groups, message });

export const boundaries = [
  {
    // Pure protocol code and the IPC contract: no Node, no other room.
    files: ['src-shared/otr/**', 'src-shared/ipc/**'],
    // Tests and their harnesses (interop peers, vector loaders) run in Node.
    ignores: ['**/*.test.ts', '**/test-support/**'],
    patterns: [
      forbid(['**/src-main/**', '**/src-server/**', '**/src-renderer/**', '**/src-preload/**'], 'src-shared imports nothing from the programs (DESIGN.md 2).'),
      forbid(['electron'], 'Only src-main/app imports electron (DESIGN.md 2).'),
      forbid(nodeBuiltins, 'src-shared/otr and src-shared/ipc are pure: inject I/O instead (DESIGN.md 2).'),
    ],
  },
  {
    files: ['src-shared/**'],
    ignores: ['src-shared/otr/**', 'src-shared/ipc/**'],
    patterns: [
      forbid(['**/src-main/**', '**/src-server/**', '**/src-renderer/**', '**/src-preload/**'], 'src-shared imports nothing from the programs (DESIGN.md 2).'),
      forbid(['electron'], 'Only src-main/app imports electron (DESIGN.md 2).'),
    ],
  },
  {
    files: ['src-renderer/**'],
    patterns: [
      forbid(['**/src-main/**', '**/src-server/**', '**/src-preload/**', '**/src-shared/otr/**', '**/src-shared/push/**', '**/src-shared/prekey/**'], 'src-renderer imports only src-shared/ipc (DESIGN.md 2).'),
      forbid(['electron'], 'Only src-main/app imports electron (DESIGN.md 2).'),
      forbid(nodeBuiltins, 'The renderer is sandboxed: no Node (DESIGN.md 3).'),
    ],
  },
  {
    files: ['src-main/core/**', 'src-main/host/**'],
    patterns: [
      forbid(['**/src-renderer/**', '**/src-main/app/**', '**/src-server/**'], 'The core is Electron-free and knows no UI (DESIGN.md 2).'),
      forbid(['electron'], 'Only src-main/app imports electron (DESIGN.md 2).'),
    ],
  },
  {
    files: ['src-server/**'],
    patterns: [
      forbid(['**/src-main/**', '**/src-renderer/**', '**/src-preload/**'], 'Servers share code with clients only through src-shared (DESIGN.md 2).'),
      forbid(['electron'], 'Only src-main/app imports electron (DESIGN.md 2).'),
    ],
  },
  {
    files: ['src-preload/**'],
    patterns: [
      forbid(['**/src-main/**', '**/src-renderer/**', '**/src-server/**', '**/src-shared/otr/**'], 'The preload exposes the IPC contract and nothing else (DESIGN.md 3).'),
    ],
  },
];

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
  ...boundaries.map(({ files, ignores, patterns }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  })),
);
