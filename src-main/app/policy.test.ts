import { describe, expect, it } from 'vitest';
import { createPagePolicy, isTrustedIpcSender, type WindowLike } from './policy';

const policy = createPagePolicy({
  pageUrl: 'file:///opt/app/out/renderer/index.html',
  rendererDirUrl: 'file:///opt/app/out/renderer/',
});

describe('Electron page policy (docs/architecture.md §3)', () => {
  it('knows its own page, whatever the fragment or query', () => {
    expect(policy.isOwnPage('file:///opt/app/out/renderer/index.html')).toBe(true);
    expect(policy.isOwnPage('file:///opt/app/out/renderer/index.html#x?y')).toBe(true);
    expect(policy.isOwnPage('file:///opt/app/out/renderer/other.html')).toBe(false);
    expect(policy.isOwnPage('file:///etc/passwd')).toBe(false);
    expect(policy.isOwnPage('https://evil.example/index.html')).toBe(false);
    expect(policy.isOwnPage('not a url')).toBe(false);
  });

  it('lets the renderer load its own files only: no network, no escape from out/renderer', () => {
    expect(policy.mayLoad('file:///opt/app/out/renderer/assets/index-abc.js')).toBe(true);
    expect(policy.mayLoad('devtools://devtools/bundled/inspector.html')).toBe(true);
    for (const url of [
      'https://example.org/',
      'http://127.0.0.1:5222/',
      'ws://127.0.0.1:1234/ipc',
      'file:///opt/app/out/renderer/../main/index.js',
      'file:///opt/app/out/renderer%2f../main/index.js',
      'file:///opt/app/out/renderer-evil/x.js',
      'file://remote-host/opt/app/out/renderer/x.js',
      'data:text/html,<script>1</script>',
      'blob:file:///abc',
    ]) {
      expect(policy.mayLoad(url), url).toBe(false);
    }
  });

  it('grants notifications to our page and nothing else to anyone', () => {
    expect(policy.mayGrant('notifications', 'file:///opt/app/out/renderer/index.html')).toBe(true);
    expect(policy.mayGrant('notifications', 'https://evil.example/')).toBe(false);
    for (const p of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      expect(policy.mayGrant(p, 'file:///opt/app/out/renderer/index.html')).toBe(false);
    }
  });

  it('in development trusts the dev server origin only', () => {
    const dev = createPagePolicy({ pageUrl: 'http://localhost:5173/', rendererDirUrl: 'file:///x/', devUrl: 'http://localhost:5173/' });
    expect(dev.isOwnPage('http://localhost:5173/index.html')).toBe(true);
    expect(dev.mayLoad('ws://localhost:5173/')).toBe(true);
    expect(dev.mayLoad('http://localhost:5174/')).toBe(false);
    expect(dev.mayLoad('file:///x/index.html')).toBe(false);
  });
});

describe('IPC sender check', () => {
  const mainFrame = { url: 'file:///opt/app/out/renderer/index.html', parent: null };
  const webContents = { mainFrame };
  const win: WindowLike = { isDestroyed: () => false, webContents };

  it('accepts our window main frame on our page', () => {
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: mainFrame }, win, policy)).toBe(true);
  });

  it('refuses other web contents, subframes, foreign pages, destroyed or missing windows', () => {
    const sub = { url: mainFrame.url, parent: mainFrame };
    expect(isTrustedIpcSender({ sender: {}, senderFrame: mainFrame }, win, policy)).toBe(false);
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: sub }, win, policy)).toBe(false);
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: null }, win, policy)).toBe(false);
    const navigated = { url: 'https://evil.example/', parent: null };
    expect(
      isTrustedIpcSender(
        { sender: { mainFrame: navigated }, senderFrame: navigated },
        { isDestroyed: () => false, webContents: { mainFrame: navigated } },
        policy,
      ),
    ).toBe(false);
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: mainFrame }, { ...win, isDestroyed: () => true }, policy)).toBe(false);
    expect(isTrustedIpcSender({ sender: webContents, senderFrame: mainFrame }, null, policy)).toBe(false);
  });
});
