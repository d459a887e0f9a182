// The one modal dialog every dialog of the window uses (verification, privacy settings, remove
// confirmation, the offline devices chooser, notification settings, search). WAI-ARIA Authoring Practices
// §"Dialog (Modal) Pattern": focus moves into the dialog when it opens, Tab and Shift+Tab stay
// inside it, Escape and a click outside close it, and focus returns to the element that had it
// before (the button that opened it) when it closes.
import { useEffect, useId, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
}

export interface DialogProps {
  /** the dialog's title (its accessible name), shown as its heading */
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** e.g. while something is being sent: Escape and clicks outside do nothing */
  busy?: boolean;
  className?: string;
  /** accessible description: the id of an element inside */
  describedBy?: string;
  /** a "Close" button after the content, for dialogs whose only way out is closing them */
  closeButton?: boolean;
}

export function Dialog({ title, onClose, children, busy = false, className, describedBy, closeButton = false }: DialogProps) {
  const ref = useRef<HTMLElement>(null);
  const titleId = useId();
  // the latest onClose/busy without re-running the focus effect on each render
  const latest = useRef({ onClose, busy });
  latest.current = { onClose, busy };

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const root = ref.current;
    if (root) {
      // an element marked data-autofocus (e.g. Cancel in a destructive confirmation), else the first
      // field, else the first button; else the dialog itself (it has tabIndex -1)
      const list = focusables(root);
      const first = root.querySelector<HTMLElement>('[data-autofocus]') ?? list.find((el) => el.matches('input, select, textarea')) ?? list[0];
      (first ?? root).focus();
    }
    return () => {
      // the opener may be gone (e.g. a menu item): then the dialog's caller decides (focus stays on body)
      if (opener && opener.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      if (!latest.current.busy) latest.current.onClose();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const list = focusables(ref.current);
    if (list.length === 0) {
      e.preventDefault();
      return;
    }
    const first = list[0]!;
    const last = list[list.length - 1]!;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || active === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(e) => {
        // only a press on the backdrop itself (outside the dialog) closes
        if (e.target !== e.currentTarget) return;
        // no default: the press would move the focus to the page, after the dialog gave it back
        e.preventDefault();
        if (!latest.current.busy) latest.current.onClose();
      }}
    >
      <section
        ref={ref}
        tabIndex={-1}
        className={`dialog card${className ? ` ${className}` : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
        {children}
        {closeButton && (
          <div className="row">
            <button type="button" disabled={busy} onClick={onClose}>
              Close
            </button>
          </div>
        )}
      </section>
    </div>
  );
}
