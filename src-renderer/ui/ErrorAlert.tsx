// The one way a failed action says why, next to the control that ran it: a live alert (read out at
// once by screen readers, WAI-ARIA "alert" role), nothing when there is no error.
export function ErrorAlert({ error, inline = false }: { error: string | null; inline?: boolean }) {
  if (!error) return null;
  return inline ? (
    <span className="error" role="alert">
      {error}
    </span>
  ) : (
    <p className="error" role="alert">
      {error}
    </p>
  );
}
