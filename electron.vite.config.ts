// Build of the three Electron programs (docs/architecture.md §2): main (src-main/app, ESM), preload
// (src-preload, CommonJS so that it runs in a sandboxed renderer, docs/architecture.md §3) and the renderer
// (src-renderer, a plain web bundle that the browser host serves as well).
//
//   out/main/index.js       <- src-main/app/main.ts
//   out/preload/index.cjs   <- src-preload/index.ts
//   out/renderer/           <- src-renderer/index.html
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

// Native or runtime-loaded packages stay outside the main bundle: they are loaded from
// node_modules at run time (N-API binaries, and @xmpp/* which picks transports dynamically).
const mainExternals = ['keytar', '@signalapp/sqlcipher', /^@xmpp\//];

export default defineConfig({
  main: {
    build: {
      // Every package.json dependency is external (electron-vite's default); the list above makes
      // the native ones explicit so that a future change of that default cannot bundle them.
      externalizeDeps: true,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/app/main.ts') },
        external: mainExternals,
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require() from node_modules: bundle everything it uses.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    build: {
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
});
