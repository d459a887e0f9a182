// The Electron main process (docs/architecture.md §2, src-main/app: the only code that imports 'electron').
// It creates the core for one profile, one hardened window (docs/architecture.md §3) and binds the IPC
// contract to ipcMain through dispatchRequest, after checking that the request comes from our own
// window's main frame showing our own page.
//
//   npm start -- --profile DIR [--ca-file CA.pem]      (or MESSENGER_PROFILE / MESSENGER_CA_FILE)
import { app, BrowserWindow, dialog, ipcMain, session, type WebContents } from 'electron';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCore } from '../core';
import type { Core } from '../core/api';
import { dispatchRequest } from '../../src-shared/ipc/dispatch';
import { IPC_EVENT_CHANNEL, IPC_REQUEST_CHANNEL } from '../../src-shared/ipc/contract';
import { err } from '../../src-shared/ipc/result';
import { OptionsError, parseStartOptions, type StartOptions } from '../host/options';
import { createPagePolicy, isTrustedIpcSender } from './policy';
import { keepRunningOnUnexpected } from '../core/uncaught';
import { UnreadTally } from './unread-tally';

// An exception nobody handled is logged (without its message) and the app keeps running.
keepRunningOnUnexpected('messenger');

const here = import.meta.dirname;
const preloadPath = join(here, '..', 'preload', 'index.cjs');
const rendererFile = join(here, '..', 'renderer', 'index.html');
// electron-vite dev serves the renderer over HTTP; in a build the page is a file.
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const pageUrl = devUrl ?? pathToFileURL(rendererFile).href;
const rendererDirUrl = pathToFileURL(join(here, '..', 'renderer')).href + '/';

let options: StartOptions;
try {
  options = parseStartOptions(process.argv.slice(1), process.env);
} catch (e) {
  console.error(`messenger: ${e instanceof OptionsError ? e.message : 'bad options'}`);
  process.exit(2);
}
const profileDir = options.profileDir ?? join(app.getPath('userData'), 'default-profile');
mkdirSync(profileDir, { recursive: true, mode: 0o700 });
// Chromium's own storage (cache, local storage, the single-instance lock) lives inside the
// profile too, so that two instances on two profiles share nothing (docs/architecture.md §3).
app.setPath('userData', join(profileDir, 'electron'));
app.setPath('sessionData', join(profileDir, 'electron'));
// Every renderer sandboxed, whatever a window asks for (docs/architecture.md §3).
app.enableSandbox();

let core: Core | null = null;
let mainWindow: BrowserWindow | null = null;

const policy = createPagePolicy({ pageUrl, rendererDirUrl, devUrl });

function isOwnContents(contents: WebContents | null): boolean {
  return !!mainWindow && !mainWindow.isDestroyed() && contents === mainWindow.webContents;
}

function hardenSession(): void {
  const ses = session.defaultSession;
  // Permissions denied except notifications, and those only for our own page in our window.
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isOwnContents(contents) && policy.mayGrant(permission, details.requestingUrl));
  });
  ses.setPermissionCheckHandler((contents, permission, _origin, details) => {
    return isOwnContents(contents) && policy.mayGrant(permission, details.requestingUrl ?? '');
  });
  // No network from the renderer (all networking is in main); the CSP says the same, this makes
  // it independent of the page. Only our own files (or the dev server) may load.
  ses.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !policy.mayLoad(details.url) });
  });
  ses.on('will-download', (event) => event.preventDefault());
  // USB / HID / serial devices: never.
  ses.setDevicePermissionHandler(() => false);
}

app.on('web-contents-created', (_event, contents) => {
  // Navigation and new windows blocked (docs/architecture.md §3): links open nowhere.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => {
    // the first load of our own page is the only navigation there is
    if (!policy.isOwnPage(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Messenger',
    backgroundColor: '#f6f5f2',
    webPreferences: {
      preload: preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.removeMenu();
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(rendererFile);
  return win;
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    // Another instance already runs on this profile; it gets focus instead.
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  await app.whenReady();
  hardenSession();

  let created: Core;
  try {
    created = await createCore({ profileDir, ...(options.extraCaPem ? { extraCaPem: options.extraCaPem } : {}) });
  } catch (e) {
    const message = e instanceof Error && 'code' in e ? e.message : 'The messenger could not open its profile.';
    dialog.showErrorBox('Messenger cannot start', message);
    app.exit(1);
    return;
  }
  core = created;

  ipcMain.handle(IPC_REQUEST_CHANNEL, async (event, name: unknown, input: unknown) => {
    // docs/architecture.md §3: the sender frame is checked before a request reaches the core.
    if (!core || !isTrustedIpcSender(event, mainWindow, policy)) return err('invalid-argument', 'request refused: unknown sender');
    return dispatchRequest(core.handlers, name, input);
  });
  const unread = new UnreadTally();
  created.onEvent((event) => {
    const win = mainWindow;
    if (win && !win.isDestroyed() && policy.isOwnPage(win.webContents.getURL())) win.webContents.send(IPC_EVENT_CHANNEL, event);
    const before = unread.total;
    const total = unread.onEvent(event);
    if (total !== null) showUnread(total, total > before);
  });
  const snapshot = await created.handlers['app.snapshot']({});
  showUnread(unread.seed(snapshot.contacts), false);

  mainWindow = createWindow();
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  app.on('activate', () => {
    if (!mainWindow) {
      mainWindow = createWindow();
      mainWindow.on('closed', () => {
        mainWindow = null;
      });
    }
  });
}

/**
 * The unread total on the app icon: the dock badge on macOS, the launcher count on Linux desktops
 * that show one (Unity API; elsewhere Electron ignores it). Windows has no count on the taskbar
 * icon without an overlay image, so there the button flashes when new messages arrive unseen.
 */
function showUnread(total: number, grew: boolean): void {
  app.setBadgeCount(total);
  const win = mainWindow;
  if (process.platform === 'win32' && win && !win.isDestroyed()) {
    if (total === 0) win.flashFrame(false);
    else if (grew && !win.isFocused()) win.flashFrame(true);
  }
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let closing = false;
app.on('before-quit', (event) => {
  if (!core || closing) return;
  // Close the core (XMPP streams, database) before the process goes away.
  event.preventDefault();
  closing = true;
  const c = core;
  core = null;
  void c.close().finally(() => app.quit());
});

void start();
