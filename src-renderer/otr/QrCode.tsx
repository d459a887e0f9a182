// A QR code drawn as one SVG path (src-shared/ipc/qr.ts encodes it): dark modules on a white
// field with the 4-module quiet zone ISO/IEC 18004 §6.3.8 asks for, whatever the theme, so a
// camera reads it in dark mode too.
import { useMemo } from 'react';
import { encodeNumericQr } from '../../src-shared/ipc/qr-matrix';

const QUIET = 4;

export function QrCode({ digits, label }: { digits: string; label: string }) {
  const { path, size } = useMemo(() => {
    const code = encodeNumericQr(digits);
    let d = '';
    code.modules.forEach((row, r) =>
      row.forEach((dark, c) => {
        if (dark) d += `M${c + QUIET} ${r + QUIET}h1v1h-1z`;
      }),
    );
    return { path: d, size: code.size + 2 * QUIET };
  }, [digits]);
  return (
    <svg className="otr-qr" role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} data-qr-path={path} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
