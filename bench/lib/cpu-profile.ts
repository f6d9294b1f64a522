/** Reads a V8 .cpuprofile (node --cpu-prof) and lists where the time went: by package and by function. */
import { readFileSync } from 'node:fs';
import { markdownTable } from './table.js';

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

const shortUrl = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/dist\//, '').replace(/^file:\/\//, '');

/** `node_modules/express/...` → express; Minyi's own files → their folder; Node's → node:module. */
function owner(url: string, functionName: string): string {
  if (!url) return functionName; // (garbage collector), (idle), (program), native functions
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return url;
  const own = /\/dist\/(.+)\/[^/]+$/.exec(url)?.[1];
  return own ? `minyi ${own}` : shortUrl(url);
}

export function summarizeProfile(file: string, top = 20): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfTime = new Map<number, number>();
  let total = 0;
  // Idle time says only that the load was elsewhere; shares are of the time Minyi was busy.
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  profile.samples.forEach((id, i) => {
    if (idle.has(id)) return;
    const dt = profile.timeDeltas[i] ?? 0;
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
    total += dt;
  });
  const byOwner = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of selfTime) {
    const frame = nodes.get(id)!.callFrame;
    const name = (f: ProfileNode['callFrame']) => `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byOwner.set(owner(frame.url, frame.functionName), (byOwner.get(owner(frame.url, frame.functionName)) ?? 0) + time);
    selfByFunction.set(name(frame), (selfByFunction.get(name(frame)) ?? 0) + time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const key = name(nodes.get(at)!.callFrame);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + time);
      seen.add(key);
    }
  }
  const rows = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, time]) => [`${((time / total) * 100).toFixed(1)}%`, key]);
  return [
    `${(total / 1e6).toFixed(1)} s busy in ${file}`,
    '',
    markdownTable(['self', 'package or part'], rows(byOwner), (i) => i === 0),
    '',
    markdownTable(['self', 'function'], rows(selfByFunction), (i) => i === 0),
    '',
    markdownTable(['total', 'function and what it calls'], rows(new Map([...inclusive].filter(([key]) => !key.startsWith('(root)')))), (i) => i === 0),
  ].join('\n');
}
