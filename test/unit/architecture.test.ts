// The dependency arrows of the design, checked on the import lines of src/: decoders stay pure (no sockets,
// files, clocks or timers: bytes and times in, events out), the TUI is a view that knows nothing of where
// events come from, and the forward path depends on no observer.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/repo-root.js';

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

function violations(area: string, allowed: (spec: string) => boolean): string[] {
  return files(path.join(src, area)).flatMap((f) => importsOf(f).filter((s) => !allowed(s)).map((s) => `${path.relative(src, f)} imports ${s}`));
}

const clockOrIo = /\b(Date\.now|performance\.now|setTimeout|setInterval|setImmediate)\s*\(/;

describe('architecture', () => {
  it('the import scanner sees the imports it checks (else every rule below would pass on nothing)', () => {
    expect(importsOf(path.join(src, 'decode/session.ts'))).toContain('core/events.ts');
    expect(violations('decode', () => false).length).toBeGreaterThan(10);
  });

  it('the RESP framer is a leaf: it imports only itself and node:buffer', () => {
    expect(violations('resp', (s) => s.startsWith('resp/') || s === 'node:buffer')).toEqual([]);
    expect(importsOf(path.join(src, 'resp/framer.ts'))).toContain('node:buffer');
  });

  it('decoders import only decoders, the RESP framer, the event vocabulary and pure node:buffer helpers', () => {
    expect(violations('decode', (s) => /^(decode|resp)\//.test(s) || s === 'core/events.ts' || s === 'node:buffer')).toEqual([]);
  });

  it('decoders, the framer and the resync analysis read no clock and set no timer', () => {
    const impure = [...files(path.join(src, 'decode')), ...files(path.join(src, 'resp')), ...files(path.join(src, 'analysis'))].filter((f) => clockOrIo.test(readFileSync(f, 'utf8')));
    expect(impure.map((f) => path.relative(src, f))).toEqual([]);
  });

  it('packet capture reading and writing is pure: no sockets, files or clocks; decoders only for finding commands', () => {
    const allowed = (s: string) => s.startsWith('pcap/') || ['core/events.ts', 'core/host-port.ts', 'decode/command-start.ts'].includes(s);
    expect(violations('pcap', allowed)).toEqual([]);
    expect(files(path.join(src, 'pcap')).filter((f) => clockOrIo.test(readFileSync(f, 'utf8'))).map((f) => path.relative(src, f))).toEqual([]);
  });

  it('the resync analysis is pure too', () => {
    expect(violations('analysis', (s) => s.startsWith('analysis/') || s === 'core/events.ts')).toEqual([]);
  });

  it('the TUI never reaches the proxy, captures, the lab or the commands, and only its screen imports blessed', () => {
    expect(violations('tui', (s) => !/^(proxy|capture|lab|cli)\//.test(s))).toEqual([]);
    const blessedOutsideScreen = files(path.join(src, 'tui')).filter((f) => !f.includes(`${path.sep}screen${path.sep}`) && importsOf(f).includes('blessed'));
    expect(blessedOutsideScreen).toEqual([]);
  });

  it('the forward path depends on no observer (decoder, capture, TUI, lab)', () => {
    expect(violations('proxy', (s) => !/^(decode|capture|tui|lab|cli|analysis)\//.test(s))).toEqual([]);
  });
});
