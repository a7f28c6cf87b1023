/** Log lines (JSON) grouped by message (and error), with their count, most frequent first. */
export function summariseLogLines(lines: string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    let what = line;
    try {
      const entry = JSON.parse(line) as {
        msg?: string;
        error?: string;
        err?: { message?: string };
      };
      what = [entry.msg, entry.error ?? entry.err?.message].filter(Boolean).join(': ');
    } catch {
      // Not JSON: the line itself.
    }
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([what, n]) => `${n} × ${what}`);
}
