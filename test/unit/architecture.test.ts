// The dependency arrows of the design, checked on the import lines of src/. Every folder has its place in one
// order, from the ground up, and imports only from its own folder and the folders below it:
//
//   resp     the RESP framer: a leaf (node:buffer only)
//   core     the ground floor: events, errors, the clock, host:port, units, globs, TLS wording
//   net      connecting to a server (plaintext or TLS), the listener replicas connect to, the side-connection
//            RESP client
//   decode   pure decoders (bytes and times in, events out), the RDB decoder, the resync analysis, and the
//            pipeline that runs them for live, replay and pcap alike
//   pcap     packet capture files in and out (pure)
//   capture  the capture file: format, reader, writer, RDB elider, secret masker, old versions
//   replay   what replay needs: pacing, event filters, a capture's full sync (streamed), the fake master
//   inspect  what a snapshot holds (RDB, AOF, append-only directory, a capture's snapshot)
//   tail     following a master as a replica (PSYNC at its offset, resumes, Sentinel) and the --to copy
//   proxy    the forward path
//   output   the --json and line outputs
//   metrics  the Prometheus endpoint (the pipeline's events and lag)
//   tui      the terminal UI
//   report   the HTML incident report (from the decoded events, with the TUI's link model)
//   lab      the demo: servers, faults, its control interface
//   cli      the commands (and src/cli.ts)
//
// There is no import cycle anywhere in src/. On top of the order: decoders stay pure (no sockets, files, clocks or
// timers), the TUI is a view that knows nothing of where events come from, and the forward path depends on no
// observer.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo-root.js';

const LAYERS = ['resp', 'core', 'net', 'decode', 'pcap', 'capture', 'replay', 'inspect', 'tail', 'proxy', 'output', 'metrics', 'tui', 'report', 'lab', 'cli'];

const src = path.join(repoRoot, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Imports of a file as paths relative to src/ (e.g. "core/events.ts") or bare module names ("node:fs"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  return specs.map((s) => (s.startsWith('.') ? path.relative(src, path.resolve(path.dirname(file), s)).replace(/\.js$/, '.ts') : s));
}

const isLocal = (spec: string) => !spec.startsWith('node:') && spec.endsWith('.ts');

/** The folder of a path relative to src/; a file at the top (cli.ts) belongs to the commands. */
const folderOf = (rel: string) => (rel.includes('/') ? rel.split('/')[0]! : 'cli');

function violations(area: string, allowed: (spec: string) => boolean): string[] {
  return files(path.join(src, area)).flatMap((f) => importsOf(f).filter((s) => !allowed(s)).map((s) => `${path.relative(src, f)} imports ${s}`));
}

/** Every import of src/ that reaches up the order. */
function upwardImports(graph: Map<string, string[]>, layers: string[]): string[] {
  return [...graph].flatMap(([file, deps]) => deps.filter((d) => layers.indexOf(folderOf(d)) > layers.indexOf(folderOf(file))).map((d) => `${file} imports ${d}`));
}

/** The import cycles of a graph: its strongly connected components of more than one file (or a file importing
 *  itself), found with Tarjan's algorithm. */
function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const graph = new Map(files(src).map((f) => [path.relative(src, f), importsOf(f).filter(isLocal)]));

const clockOrIo = /\b(Date\.now|performance\.now|setTimeout|setInterval|setImmediate)\s*\(/;

describe('architecture', () => {
  it('the import scanner sees the imports it checks (else every rule below would pass on nothing)', () => {
    expect(importsOf(path.join(src, 'decode/session.ts'))).toContain('core/events.ts');
    expect(violations('decode', () => false).length).toBeGreaterThan(10);
    expect([...graph.values()].flat().length).toBeGreaterThan(300);
  });

  it('every folder of src/ has its place in the layer order', () => {
    const folders = readdirSync(src, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
    expect(LAYERS.filter((l) => !folders.includes(l))).toEqual([]);
  });

  it('no folder imports a folder above it', () => {
    expect(upwardImports(graph, LAYERS)).toEqual([]);
  });

  it('there is no import cycle in src/', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('the checks find what they look for: an upward import and a cycle, planted in a made-up graph', () => {
    const planted = new Map([
      ['core/a.ts', ['resp/b.ts']],
      ['resp/b.ts', ['core/a.ts']],
      ['tui/c.ts', ['tui/d.ts']],
      ['tui/d.ts', ['tui/e.ts']],
      ['tui/e.ts', ['tui/c.ts', 'core/a.ts']],
    ]);
    expect(upwardImports(planted, LAYERS)).toEqual(['resp/b.ts imports core/a.ts']);
    expect(importCycles(planted)).toEqual([
      ['core/a.ts', 'resp/b.ts'],
      ['tui/c.ts', 'tui/d.ts', 'tui/e.ts'],
    ]);
  });

  it('the RESP framer is a leaf: it imports only itself and node:buffer', () => {
    expect(violations('resp', (s) => s.startsWith('resp/') || s === 'node:buffer')).toEqual([]);
    expect(importsOf(path.join(src, 'resp/framer.ts'))).toContain('node:buffer');
  });

  it('decoders import only decoders, the RESP framer, the event vocabulary, the errors, the key slots and node:buffer', () => {
    const allowed = ['core/events.ts', 'core/rdb-info.ts', 'core/errors.ts', 'core/command-slot.ts', 'node:buffer'];
    expect(violations('decode', (s) => /^(decode|resp)\//.test(s) || allowed.includes(s))).toEqual([]);
  });

  it('decoders (with the resync analysis) and the framer read no clock and set no timer', () => {
    const impure = [...files(path.join(src, 'decode')), ...files(path.join(src, 'resp'))].filter((f) => clockOrIo.test(readFileSync(f, 'utf8')));
    expect(impure.map((f) => path.relative(src, f))).toEqual([]);
  });

  it('packet capture reading and writing is pure: no sockets, files or clocks; the RESP layer only for finding commands', () => {
    const allowed = (s: string) => s.startsWith('pcap/') || ['core/events.ts', 'core/errors.ts', 'core/host-port.ts', 'resp/command-start.ts'].includes(s);
    expect(violations('pcap', allowed)).toEqual([]);
    expect(files(path.join(src, 'pcap')).filter((f) => clockOrIo.test(readFileSync(f, 'utf8'))).map((f) => path.relative(src, f))).toEqual([]);
  });

  it('the TUI never reaches the network, the forward path, captures or replay, and only its screen imports blessed', () => {
    expect(violations('tui', (s) => !/^(net|proxy|pcap|capture|replay|inspect)\//.test(s))).toEqual([]);
    const blessedOutsideScreen = files(path.join(src, 'tui')).filter((f) => !f.includes(`${path.sep}screen${path.sep}`) && importsOf(f).includes('blessed'));
    expect(blessedOutsideScreen).toEqual([]);
  });

  it('the plain pump has no fault code in it: no timers, no stages; faults are stages outside it', () => {
    const pipe = path.join(src, 'proxy/pipe.ts');
    // read-buffers is memory housekeeping (a collection after every 8 MiB read), not a fault: it imports nothing local
    expect(importsOf(pipe).filter(isLocal)).toEqual(['core/events.ts', 'proxy/read-buffers.ts']);
    expect(importsOf(path.join(src, 'proxy/read-buffers.ts')).filter(isLocal)).toEqual([]);
    expect(clockOrIo.test(readFileSync(pipe, 'utf8'))).toBe(false);
    expect(importsOf(path.join(src, 'proxy/link-faults.ts'))).toContain('proxy/stage.ts');
  });

  it('the forward path depends on no observer (decoders, packet or capture files, replay, inspect)', () => {
    expect(violations('proxy', (s) => !/^(decode|pcap|capture|replay|inspect)\//.test(s))).toEqual([]);
  });

  it('tail is a source of wire events like the proxy: it writes no capture, reads no files and knows no output', () => {
    expect(violations('tail', (s) => !/^(pcap|capture|inspect)\//.test(s) && !['node:fs', 'node:fs/promises'].includes(s))).toEqual([]);
  });

  it('the report is made from decoded events alone: no sockets, captures or clocks; only its writer touches files', () => {
    const pure = (s: string) => /^(report|core|decode)\//.test(s) || /^tui\/(model|format\/units)/.test(s) || s === 'node:buffer';
    expect(violations('report', (s) => pure(s) || s === 'node:fs')).toEqual([]);
    const withFs = files(path.join(src, 'report')).filter((f) => importsOf(f).includes('node:fs'));
    expect(withFs.map((f) => path.relative(src, f))).toEqual(['report/record-report.ts']);
    expect(files(path.join(src, 'report')).filter((f) => clockOrIo.test(readFileSync(f, 'utf8'))).map((f) => path.relative(src, f))).toEqual([]);
  });

  it('metrics read the pipeline, its events and its lag, and serve them: nothing else', () => {
    expect(violations('metrics', (s) => /^(metrics|core|decode)\//.test(s) || ['prom-client', 'node:http', 'node:net'].includes(s))).toEqual([]);
  });
});
