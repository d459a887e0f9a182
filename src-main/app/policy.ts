// The Electron window's trust decisions (docs/architecture.md §3), kept free of 'electron' imports so that
// unit tests can load them: which URL is our page, what the renderer may load, which permission
// it may get, and which IPC sender may reach the core. main.ts applies them to Electron's hooks.

export interface PagePolicyOptions {
  /** file: URL of out/renderer/index.html */
  pageUrl: string;
  /** file: URL of the out/renderer directory, ending in '/' */
  rendererDirUrl: string;
  /** electron-vite dev server URL (development only) */
  devUrl?: string | undefined;
}

export interface PagePolicy {
  /** is this URL our own page (query and fragment ignored)? */
  isOwnPage(url: string): boolean;
  /** may the renderer load this URL? Only our own files (or the dev server): no network. */
  mayLoad(url: string): boolean;
  /** permission requests are denied except notifications for our own page */
  mayGrant(permission: string, requestingUrl: string): boolean;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

export function createPagePolicy(o: PagePolicyOptions): PagePolicy {
  const page = parse(o.pageUrl);
  const dir = parse(o.rendererDirUrl);
  const dev = o.devUrl ? parse(o.devUrl) : null;
  if (!page || !dir || (o.devUrl && !dev)) throw new Error('page policy: invalid URL');

  const isOwnPage = (raw: string): boolean => {
    const url = parse(raw);
    if (!url) return false;
    if (dev) return url.origin === dev.origin;
    return url.protocol === 'file:' && url.host === page.host && url.pathname === page.pathname;
  };

  const mayLoad = (raw: string): boolean => {
    const url = parse(raw);
    if (!url) return false;
    if (url.protocol === 'devtools:') return true;
    if (dev) {
      // the dev server and its hot-reload socket, nothing else
      return url.host === dev.host && (url.protocol === dev.protocol || url.protocol === 'ws:');
    }
    // new URL() has resolved any '..' already, so a prefix test on the path is exact
    return url.protocol === 'file:' && url.host === dir.host && url.pathname.startsWith(dir.pathname);
  };

  return {
    isOwnPage,
    mayLoad,
    mayGrant: (permission, requestingUrl) => permission === 'notifications' && isOwnPage(requestingUrl),
  };
}

/** The parts of Electron's IpcMainInvokeEvent and BrowserWindow that the sender check reads. */
export interface SenderLike {
  sender: unknown;
  senderFrame: { url: string; parent: unknown } | null;
}
export interface WindowLike {
  isDestroyed(): boolean;
  webContents: { mainFrame: unknown };
}

/**
 * docs/architecture.md §3: a request reaches the core only from our window's web contents, from its main
 * frame (not a subframe), while that frame shows our own page.
 */
export function isTrustedIpcSender(event: SenderLike, window: WindowLike | null, policy: PagePolicy): boolean {
  if (!window || window.isDestroyed()) return false;
  if (event.sender !== window.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame !== window.webContents.mainFrame || frame.parent !== null) return false;
  return policy.isOwnPage(frame.url);
}
