// "Notifications" settings: turn desktop notifications on (asking the browser's permission, which
// needs this click: a user gesture) and hide message text in them.
import { useId, useState } from 'react';
import { Dialog } from '../ui/Dialog';
import { useNotifyPrefs } from './prefs';

export function NotifySettings({ onClose }: { onClose: () => void }) {
  const prefs = useNotifyPrefs();
  const [denied, setDenied] = useState(typeof Notification !== 'undefined' && Notification.permission === 'denied');
  const ids = { on: useId(), hide: useId() };
  const supported = typeof Notification !== 'undefined';
  const toggle = async (on: boolean) => {
    if (!on) return prefs.setEnabled(false);
    // asked here, in the click's handler: browsers grant it only on a user gesture
    const p = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    setDenied(p === 'denied');
    prefs.setEnabled(p === 'granted');
  };
  return (
    <Dialog closeButton title="Notifications" onClose={onClose} className="notify-settings">
      {!supported && <p className="hint">This browser cannot show desktop notifications.</p>}
      <label htmlFor={ids.on} className="check">
        <input id={ids.on} type="checkbox" disabled={!supported} checked={prefs.enabled} onChange={(e) => void toggle(e.target.checked)} /> Show a desktop
        notification for new messages and contact requests
      </label>
      {denied && <p className="error">The browser blocks notifications for this page. Allow them in the browser's site settings, then turn them on here.</p>}
      <label htmlFor={ids.hide} className="check">
        <input id={ids.hide} type="checkbox" checked={prefs.hideText} onChange={(e) => prefs.setHideText(e.target.checked)} /> Hide message text in
        notifications (show only who wrote)
      </label>
      <p className="hint">No notification comes for the conversation you are looking at, nor for a conversation you muted (its Privacy menu).</p>
    </Dialog>
  );
}
