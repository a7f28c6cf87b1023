// Summarises V8 CPU profiles (node --cpu-prof): self time by function and by file, and the time
// spent under each function (inclusive), so the hot path shows without a browser.
//   npx tsx bench/support/profile-summary.ts <file.cpuprofile> [top=30]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from './stack-env.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
profile.samples.forEach((id, i) =>
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);
// Waiting is not work: percentages are of the busy time.
for (const [id] of self) if (byId.get(id)!.callFrame.functionName === '(idle)') self.delete(id);
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const path = url.startsWith(ROOT) ? relative(ROOT, url) : url;
  return path.replace(/^node_modules\//, '');
};
const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;

const selfBy = (key: (n: ProfileNode) => string) => {
  const out = new Map<string, number>();
  for (const [id, us] of self) out.set(key(byId.get(id)!), (out.get(key(byId.get(id)!)) ?? 0) + us);
  return out;
};
/** Time with the function anywhere on the stack, counted once per sample. */
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const name = label(byId.get(at)!);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}

const print = (title: string, values: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...values].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    );
};
console.log(`${(total / 1e6).toFixed(2)} s busy`);
print('self time by file', selfBy(where));
print('self time by function', selfBy(label));
print('inclusive time by function', inclusive);
