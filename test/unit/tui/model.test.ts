import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { detailScrollLimit, renderFrame } from '../../../src/tui/format/frame.js';
import { linksItems, linkOrder, replicaRow } from '../../../src/tui/model/links.js';
import { phaseOf } from '../../../src/tui/model/replica.js';
import { apply, createTuiState, type TuiState } from '../../../src/tui/model/state.js';
import { syncTimeline } from '../../../src/tui/model/timeline.js';
import { createUi, handleKey, settleUi, shownSelection } from '../../../src/tui/model/ui.js';
import { cmd, handshake, REPLID, sharedBgsave, T0 } from './scenario.js';

function feed(events: ReplEvent[], s: TuiState = createTuiState()): TuiState {
  for (const e of events) apply(s, e);
  return s;
}

function phaseAfter(events: ReplEvent[], link = 1): string {
  return phaseOf(feed(events).owner.get(link)!);
}

describe('replica state from the event sequence', () => {
  const base = handshake(1, T0, 6380);
  const full: ReplEvent = { type: 'fullresync', pos: 0, end: 0, link: 1, at: T0 + 2, replid: REPLID, offset: 0 };
  const start: ReplEvent = { type: 'rdb-start', pos: 0, end: 0, link: 1, at: T0 + 1000, mode: 'disk', size: 4 << 20, waitMs: 998, keepalives: 0 };
  const end: ReplEvent = { type: 'rdb-end', pos: 0, end: 0, link: 1, at: T0 + 3000, bytes: 4 << 20, durationMs: 2000, bytesPerSec: 2 << 20 };
  const ack = (at: number, lagBytes: number): ReplEvent => ({ type: 'ack', pos: 0, end: 0, link: 1, at, offset: 10, lagBytes, lagMs: lagBytes ? 40 : 0 });

  it('walks handshake → waiting → receiving → loading → streaming → closed', () => {
    expect(phaseAfter(base.slice(0, -2))).toBe('handshake');
    expect(phaseAfter(base)).toBe('waiting'); // from the PSYNC on (a diskless master answers only when it forks)
    expect(phaseAfter([...base, full])).toBe('waiting');
    expect(phaseAfter([...base, full, start])).toBe('receiving');
    expect(phaseAfter([...base, full, start, end])).toBe('loading');
    expect(phaseAfter([...base, full, start, end, ack(T0 + 3500, 100)])).toBe('streaming');
    const close: ReplEvent = { type: 'link-close', link: 1, at: T0 + 9000, by: 'replica', reason: 'EOF' };
    expect(phaseAfter([...base, full, start, end, ack(T0 + 3500, 0), close])).toBe('closed');
  });

  it('a +CONTINUE is a partial sync that streams at once, with its reason', () => {
    const cont: ReplEvent = { type: 'continue', pos: 0, end: 0, link: 1, at: T0 + 2, replid: REPLID, offset: 843, reason: 'backlog has offset' };
    const s = feed([...base, cont]);
    const row = replicaRow(s.owner.get(1)!, s.now);
    expect(row.phase).toBe('streaming');
    expect(row.outcome).toBe('partial');
    expect(row.reason).toBe('backlog has offset');
    expect(row.rdb).toBeNull();
  });

  it('keeps the announced listening-port and the socket address apart', () => {
    const row = replicaRow(feed(base).owner.get(1)!, T0);
    expect(row.replicaAddr).toBe('127.0.0.1:40001');
    expect(row.announcedPort).toBe('6380');
  });

  it('RDB progress: percent and rate from event times when the size is known', () => {
    const progress: ReplEvent = { type: 'rdb-progress', pos: 0, end: 0, link: 1, at: T0 + 2000, bytes: 1 << 20, size: 4 << 20 };
    const s = feed([...base, full, start, progress]);
    const rdb = replicaRow(s.owner.get(1)!, s.now).rdb!;
    expect(rdb.fraction).toBe(0.25);
    expect(rdb.bytesPerSec).toBe(1 << 20); // 1 MiB in the 1000 ms between rdb-start and this progress event
  });

  it('RDB progress when diskless: bytes and rate, no fraction', () => {
    const dl: ReplEvent = { ...start, mode: 'diskless', size: null } as ReplEvent;
    const progress: ReplEvent = { type: 'rdb-progress', pos: 0, end: 0, link: 1, at: T0 + 1500, bytes: 3 << 20, size: null };
    const s = feed([...base, full, dl, progress]);
    const rdb = replicaRow(s.owner.get(1)!, s.now).rdb!;
    expect(rdb.fraction).toBeNull();
    expect(rdb.bytes).toBe(3 << 20);
    expect(rdb.bytesPerSec).toBe(6 << 20);
  });

  it('ACK lag in bytes and ms comes from the latest ack', () => {
    const s = feed([...base, full, start, end, ack(T0 + 3500, 300), ack(T0 + 4500, 0)]);
    const row = replicaRow(s.owner.get(1)!, s.now);
    expect([row.lagBytes, row.lagMs]).toEqual([0, 0]);
    const s2 = feed([...base, full, start, end, ack(T0 + 3500, 300)]);
    expect(replicaRow(s2.owner.get(1)!, s2.now).lagBytes).toBe(300);
  });

  it('between ACKs the lag comes from the lag events; a silent replica is marked on its row until ACKs resume', () => {
    const lag = (at: number, lagBytes: number, lagMs: number): ReplEvent => ({ type: 'lag', link: 1, at, offset: 10 + lagBytes, ackOffset: 10, lagBytes, lagMs });
    const silence: ReplEvent = { type: 'ack-silence', link: 1, at: T0 + 6600, lastAckAt: T0 + 4500, silentMs: 2100, ackOffset: 10, lagBytes: 900, lagMs: 2000 };
    const s = feed([...base, full, start, end, ack(T0 + 3500, 300), ack(T0 + 4500, 0), lag(T0 + 5600, 400, 1000), lag(T0 + 6600, 900, 2000), silence]);
    s.now = T0 + 7000; // the screen's clock moves on between events
    const row = replicaRow(s.owner.get(1)!, s.now);
    expect([row.lagBytes, row.lagMs, row.ackSilentMs]).toEqual([900, 2000, 2500]);
    const screen = renderFrame(s, createUi(), { width: 100, height: 20, label: 'live', replay: null, faults: false }).lines.join('\n');
    expect(screen).toContain('NO ACK 2.50 s');
    expect(screen).toContain('lag 900 B 2.00 s');
    apply(s, { type: 'ack', pos: 0, end: 0, link: 1, at: T0 + 7100, offset: 910, lagBytes: 0, lagMs: 0 });
    apply(s, { type: 'ack-resumed', link: 1, at: T0 + 7100, silentMs: 2600, offset: 910, lagBytes: 0, lagMs: 0 });
    const after = replicaRow(s.owner.get(1)!, s.now);
    expect([after.lagBytes, after.lagMs, after.ackSilentMs]).toEqual([0, 0, null]);
  });
});

describe('sync timeline', () => {
  it('gives each phase its duration from event times, keepalives on the wait', () => {
    const s = feed(sharedBgsave());
    const phases = syncTimeline(s.owner.get(3)!, s.now);
    const open3 = T0 + 800;
    const psync3 = open3 + 1.3;
    const rdbAt = T0 + 3106;
    expect(phases.map((p) => [p.name, p.endAt - p.startAt, p.ongoing])).toEqual([
      ['handshake', psync3 - open3, false],
      ['waiting for BGSAVE', rdbAt - psync3, false],
      ['RDB transfer', 2, false],
      ['replica load', 100, false], // rdb-end at +2, first ACK at +102
      ['catch-up', 1000, false], // first ACK at +102 with lag, lag 0 at +1102
    ]);
    expect(phases[1].note).toBe('2 keepalives');
  });

  it('a running phase ends at the latest event time and is ongoing', () => {
    const events = [...handshake(1, T0, 6380), { type: 'fullresync', pos: 0, end: 0, link: 1, at: T0 + 2, replid: REPLID, offset: 0 } as ReplEvent];
    const s = feed(events);
    apply(s, { type: 'keepalive', pos: 0, end: 0, link: 1, at: T0 + 5002, from: 'master' });
    const phases = syncTimeline(s.owner.get(1)!, s.now);
    expect(phases.at(-1)).toMatchObject({ name: 'waiting for BGSAVE', ongoing: true, startAt: T0 + 1.3, endAt: T0 + 5002, note: '1 keepalive' });
  });

  it('a diskless delay is waiting for the fork, not handshake; the phases add up to the total', () => {
    const at = (ms: number) => T0 + ms;
    const s = feed([
      ...handshake(1, T0, 6380),
      { type: 'keepalive', pos: 0, end: 0, link: 1, at: at(1000), from: 'master' },
      { type: 'keepalive', pos: 0, end: 0, link: 1, at: at(2000), from: 'master' },
      { type: 'fullresync', pos: 0, end: 0, link: 1, at: at(5001), replid: REPLID, offset: 0 },
      { type: 'rdb-start', pos: 0, end: 0, link: 1, at: at(5002), mode: 'diskless', size: null, waitMs: 5000, keepalives: 2 },
      { type: 'rdb-end', pos: 0, end: 0, link: 1, at: at(5100), bytes: 1000, durationMs: 98, bytesPerSec: 10204 },
      { type: 'ack', pos: 0, end: 0, link: 1, at: at(5300), offset: 0, lagBytes: 0, lagMs: 0 },
    ]);
    const r = s.owner.get(1)!;
    const phases = syncTimeline(r, s.now);
    expect(phases.map((p) => [p.name, Math.round(p.endAt - p.startAt)])).toEqual([
      ['handshake', 1],
      ['waiting for the fork', 5001],
      ['RDB transfer', 98],
      ['replica load', 200],
      ['catch-up', 0],
    ]);
    const sum = phases.reduce((n, p) => n + (p.endAt - p.startAt), 0);
    expect(sum).toBeCloseTo(phases.at(-1)!.endAt - phases[0]!.startAt, 6);
    // while the master has not answered yet, the row says waiting, not handshake
    const before = feed([...handshake(2, T0, 6381), { type: 'keepalive', pos: 0, end: 0, link: 2, at: at(3000), from: 'master' }]);
    expect(replicaRow(before.owner.get(2)!, at(3000))).toMatchObject({ phase: 'waiting', keepalives: 1 });
    expect(syncTimeline(before.owner.get(2)!, at(3000)).at(-1)).toMatchObject({ name: 'waiting for the fork', ongoing: true });
  });

  it('times of two channels that overlap still give consecutive phases', () => {
    const r = feed([...handshake(1, T0, 6380)]).owner.get(1)!;
    Object.assign(r, { syncKind: 'full', syncAt: T0 + 50, rdbMode: 'disk', rdbStartAt: T0 + 20, rdbEndAt: T0 + 40, firstAckAt: T0 + 60, caughtUpAt: T0 + 60 });
    const phases = syncTimeline(r, T0 + 100);
    for (let i = 1; i < phases.length; i++) expect(phases[i]!.startAt).toBe(phases[i - 1]!.endAt);
    for (const p of phases) expect(p.endAt).toBeGreaterThanOrEqual(p.startAt);
  });
});

describe('links view model', () => {
  it('groups the replicas of one BGSAVE under one header', () => {
    const items = linksItems(feed(sharedBgsave()));
    expect(items.map((it) => (it.kind === 'group' ? `group ${it.size}` : it.kind === 'replica' ? `#${it.row.link} ${it.inGroup}` : it.kind))).toEqual([
      'group 3',
      '#1 first',
      '#2 middle',
      '#3 last',
    ]);
  });

  it('lists ungrouped replicas on their own, in order of appearance', () => {
    const s = feed([...handshake(2, T0, 6382), ...handshake(1, T0 + 1, 6381)]);
    expect(linksItems(s).map((it) => it.kind === 'replica' && [it.row.link, it.inGroup])).toEqual([
      [2, null],
      [1, null],
    ]);
    expect(linkOrder(s)).toEqual([2, 1]);
  });

  it('with several masters, lists each master\'s replicas under its name (one master: no such line)', () => {
    const onMaster = (events: ReplEvent[], master: string) => events.map((e) => (e.type === 'link-open' ? { ...e, master } : e));
    const s = feed([...onMaster(handshake(1, T0, 6381), 'm:1'), ...onMaster(handshake(2, T0 + 1, 6382), 'm:2'), ...onMaster(handshake(3, T0 + 2, 6383), 'm:1')]);
    expect(linksItems(s).map((it) => (it.kind === 'master' ? `master ${it.master} ${it.links}` : it.kind === 'replica' ? `#${it.row.link}` : it.kind))).toEqual([
      'master m:1 2',
      '#1',
      '#3',
      'master m:2 1',
      '#2',
    ]);
    expect(linkOrder(s)).toEqual([1, 3, 2]);
    expect(renderFrame(s, createUi(), { width: 100, height: 20, label: 'live', replay: null, faults: false }).lines.join('\n')).toContain('master m:2  1 link');
    expect(linksItems(feed(handshake(1, T0, 6381))).some((it) => it.kind === 'master')).toBe(false);
  });

  it('shows a two-channel replica as one row, its RDB from the paired channel', () => {
    // Redis 8: main link 1 gets +RDBCHANNELSYNC, link 2 is the RDB channel with +FULLRESYNC and the RDB.
    const events: ReplEvent[] = [
      ...handshake(1, T0, 6380),
      { type: 'rdb-channel-sync', pos: 0, end: 0, link: 1, at: T0 + 2, flavor: 'redis-rdb-channel', clientId: '7' },
      { type: 'link-open', link: 2, at: T0 + 3, replica: '127.0.0.1:40002', master: '127.0.0.1:6379' },
      { type: 'replica-command', link: 2, at: T0 + 3.1, argv: ['REPLCONF', 'capa', 'eof', 'rdb-only', '1', 'rdb-channel', '1', 'main-ch-client-id', '7'], pos: 0, end: 0 },
      { type: 'link-pair', link: 2, at: T0 + 3.2, mainLink: 1, rdbLink: 2, flavor: 'redis-rdb-channel' },
      { type: 'fullresync', pos: 0, end: 0, link: 2, at: T0 + 4, replid: REPLID, offset: 100 },
      { type: 'rdb-start', pos: 0, end: 0, link: 2, at: T0 + 10, mode: 'diskless', size: null, waitMs: 6, keepalives: 0 },
    ];
    const s = feed(events);
    expect([...s.replicas.keys()]).toEqual([1]);
    let row = replicaRow(s.owner.get(1)!, s.now);
    expect(row).toMatchObject({ link: 1, rdbLink: 2, phase: 'receiving', outcome: 'full, 2-channel', replid: REPLID });
    feed(
      [
        { type: 'rdb-end', pos: 0, end: 0, link: 2, at: T0 + 20, bytes: 500, durationMs: 10, bytesPerSec: 50_000 },
        { type: 'link-close', link: 2, at: T0 + 30, by: 'replica', reason: 'EOF' },
        cmd(1, T0 + 31, 123, 0, 'SET', 'a', 'b'),
      ],
      s,
    );
    row = replicaRow(s.owner.get(1)!, s.now);
    expect(row.phase).toBe('loading'); // the RDB channel closing does not close the replica
    apply(s, { type: 'ack', pos: 0, end: 0, link: 1, at: T0 + 40, offset: 123, lagBytes: 0, lagMs: 0 });
    expect(replicaRow(s.owner.get(1)!, s.now).phase).toBe('streaming');
  });

  it('Valkey dual channel: the +CONTINUE on the main channel does not make it a partial sync', () => {
    const events: ReplEvent[] = [
      ...handshake(1, T0, 6380),
      { type: 'rdb-channel-sync', pos: 0, end: 0, link: 1, at: T0 + 2, flavor: 'valkey-dual-channel', clientId: null },
      { type: 'link-open', link: 2, at: T0 + 3, replica: '127.0.0.1:40002', master: '127.0.0.1:6379' },
      { type: 'endoff', pos: 0, end: 0, link: 2, at: T0 + 5, offset: 500, replid: REPLID, db: 0, clientId: '9' },
      { type: 'link-pair', link: 2, at: T0 + 5, mainLink: 1, rdbLink: 2, flavor: 'valkey-dual-channel' },
      { type: 'rdb-start', pos: 0, end: 0, link: 2, at: T0 + 6, mode: 'diskless', size: null, waitMs: 1, keepalives: 0 },
      { type: 'rdb-end', pos: 0, end: 0, link: 2, at: T0 + 9, bytes: 300, durationMs: 3, bytesPerSec: 100_000 },
      { type: 'continue', pos: 0, end: 0, link: 1, at: T0 + 10, replid: REPLID, offset: 501 },
    ];
    const row = replicaRow(feed(events).owner.get(1)!, T0 + 10);
    expect(row).toMatchObject({ outcome: 'full, 2-channel', phase: 'loading', offset: 500 });
  });
});

describe('bounded memory', () => {
  it('keeps the last N commands overall and per link, with no Buffer retained', () => {
    const s = createTuiState({ commands: 100, perLinkCommands: 10 });
    feed(handshake(1, T0, 6380), s);
    const big = Buffer.alloc(10_000, 0x61);
    for (let i = 0; i < 1000; i++) {
      const e = cmd(1, T0 + i, i, 0, 'SET', `k${i}`, 'v');
      (e as { argv: Buffer[] }).argv[2] = big;
      apply(s, e);
      big[0] = 0x62; // the decoder reuses the chunk: the model must have copied what it keeps
      big[0] = 0x61;
    }
    expect(s.commands.size).toBe(100);
    expect(s.commands.total).toBe(1000);
    expect(s.owner.get(1)!.commands.size).toBe(10);
    const newest = s.commands.fromNewest(0)!;
    expect(newest).toMatchObject({ name: 'SET', key: 'k999', offset: 999 });
    expect(newest.rest.length).toBeLessThan(80);
    expect(newest.rest).toMatch(/^a+…\(10000 bytes\)$/);
    expect(Object.values(newest).some((v) => Buffer.isBuffer(v))).toBe(false);
  });

  it('forgets the oldest closed replicas beyond the limit', () => {
    const s = createTuiState({ closedReplicas: 3 });
    for (let link = 1; link <= 10; link++) {
      feed([...handshake(link, T0 + link, 6380), { type: 'link-close', link, at: T0 + link + 0.5, by: 'replica', reason: 'EOF' }], s);
    }
    feed(handshake(11, T0 + 20, 6380), s);
    expect([...s.replicas.keys()]).toEqual([8, 9, 10, 11]);
  });

  it('applies an event in O(1): closing and coming back never walks over all the replicas', () => {
    const s = createTuiState({ closedReplicas: 3 });
    let walks = 0;
    class CountingMap<K, V> extends Map<K, V> {
      override values(): MapIterator<V> {
        walks++;
        return super.values();
      }
      override entries(): MapIterator<[K, V]> {
        walks++;
        return super.entries();
      }
      override [Symbol.iterator](): MapIterator<[K, V]> {
        walks++;
        return super[Symbol.iterator]();
      }
    }
    s.replicas = new CountingMap();
    for (let link = 1; link <= 500; link++) feed(handshake(link, T0 + link, 7000 + link), s);
    for (let link = 1; link <= 100; link++) {
      feed([{ type: 'link-close', link, at: T0 + 1000 + link, by: 'replica', reason: 'EOF' }, ...handshake(1000 + link, T0 + 1000 + link, 7000 + link)], s);
    }
    expect(walks).toBe(0);
    expect(s.replicas.get(100)?.successor).toBe(1100);
    expect(s.replicas.size).toBe(503); // 500 open, the 3 latest closed
  });

  it('copies binary arguments as escaped ASCII', () => {
    const s = feed([cmd(1, T0, 1, 0, 'SET', 'k', 'x')]);
    const e = cmd(1, T0, 2, 0, 'SET', 'k');
    (e as { argv: Buffer[] }).argv.push(Buffer.from([0, 0x7b, 0xff, 0x5c, 0x0a]));
    apply(s, e);
    expect(s.commands.fromNewest(0)!.rest).toBe('\\x00{\\xff\\\\\\n');
  });

  it('marks arguments the decoder cut with their full size', () => {
    const e = cmd(1, T0, 1, 0, 'SET', 'k', 'abc');
    (e as { argBytes?: number[] }).argBytes = [3, 1, 5_000_000];
    const s = feed([e]);
    expect(s.commands.fromNewest(0)!.rest).toBe('abc…(5000000 bytes)');
  });
});

describe('shared snapshot groups', () => {
  it('a later event of the same snapshot replaces its membership; another snapshot at the same offset is its own group', () => {
    const s = createTuiState();
    const REPLID = 'c'.repeat(40);
    for (const link of [1, 2, 3, 4]) apply(s, { type: 'link-open', link, at: link, replica: `127.0.0.1:${5000 + link}`, master: 'm:1' });
    apply(s, { type: 'shared-snapshot', link: 1, at: 10, snapshot: 1, links: [1, 2, 3], replid: REPLID, offset: 0 });
    apply(s, { type: 'shared-snapshot', link: 1, at: 11, snapshot: 1, links: [1, 3], replid: REPLID, offset: 0 });
    apply(s, { type: 'shared-snapshot', link: 2, at: 12, snapshot: 2, links: [2, 4], replid: REPLID, offset: 0 });
    const groupOf = (link: number) => s.replicas.get(link)?.group?.links ?? null;
    expect(groupOf(1)).toEqual([1, 3]);
    expect(groupOf(3)).toEqual([1, 3]);
    expect(groupOf(2)).toEqual([2, 4]);
    expect(groupOf(4)).toEqual([2, 4]);
    apply(s, { type: 'shared-snapshot', link: 1, at: 13, snapshot: 1, links: [1], replid: REPLID, offset: 0 });
    expect(groupOf(1)).toBeNull();
    expect(groupOf(3)).toBeNull();
    expect(s.groups.size).toBe(1);
  });
});

describe('a replica back on a new link', () => {
  it('keeps the selection: the closed row points to the new link of the same replica (address and announced port)', () => {
    const s = createTuiState();
    const ui = createUi();
    const paint = () => settleUi(ui, s, detailScrollLimit(s, ui, 120, 30)); // the update before each frame
    for (const e of [...handshake(1, T0, 6381), ...handshake(2, T0, 6382)]) apply(s, e);
    paint();
    ui.selectedLink = 2;
    apply(s, { type: 'link-close', link: 2, at: T0 + 10, by: 'proxy', reason: 'cut' });
    for (const e of handshake(3, T0 + 20, 6383)) apply(s, e); // another replica: not a successor
    paint();
    expect(ui.selectedLink).toBe(2);
    for (const e of handshake(4, T0 + 30, 6382)) apply(s, e); // replica :6382 again
    paint();
    expect(s.replicas.get(2)?.successor).toBe(4);
    expect(s.replicas.get(3)?.successor ?? null).toBeNull();
    expect(ui.selectedLink).toBe(4);
    ui.selectedLink = 2; // the user goes back to the closed row: it stays there
    paint();
    expect(ui.selectedLink).toBe(2);
  });
});

describe('the view only reads its models', () => {
  it('rendering every view changes neither the UI state nor the TUI state (selection, scroll, followed links)', () => {
    const s = createTuiState();
    for (const e of [...handshake(1, T0, 6381), ...handshake(2, T0, 6382)]) apply(s, e);
    apply(s, { type: 'link-close', link: 2, at: T0 + 10, by: 'proxy', reason: 'cut' });
    for (const e of handshake(4, T0 + 30, 6382)) apply(s, e); // the selected replica back on a new link
    const uis = [
      { ...createUi(), selectedLink: 2 },
      { ...createUi(), selectedLink: null },
      { ...createUi(), view: 'detail' as const, detailLink: 1, detailScroll: 10_000 },
      { ...createUi(), view: 'stream' as const },
      { ...createUi(), help: true },
    ];
    for (const ui of uis) {
      const before = structuredClone(ui);
      const stateBefore = structuredClone({ ...s, replicaNumber: null });
      renderFrame(s, ui, { width: 100, height: 20, label: 'x', replay: null, faults: true });
      expect(ui).toEqual(before);
      expect({ ...s, replicaNumber: null }).toEqual(stateBefore);
    }
    // what the view showed is what the update then settles on
    const ui = { ...createUi(), selectedLink: 2 };
    expect(shownSelection(ui, s)).toBe(4);
    settleUi(ui, s, 0);
    expect(ui.selectedLink).toBe(4);
    expect(ui.followedFrom).toEqual(new Set([2]));
  });
});

describe('capture losses', () => {
  it('the header says the capture is losing data while a loss is open; the detail keeps the lost bytes', () => {
    const loss = (state: 'started' | 'ended', bytes: number): ReplEvent => ({
      type: 'capture-loss', link: 1, at: T0 + (state === 'started' ? 10 : 20), state, from: 'master', pos: 100, bytes, sinceAt: T0 + 5, untilAt: T0 + 9, reason: 'disk-error: ENOSPC',
    });
    const s = feed([...handshake(1, T0, 6380), loss('started', 10)]);
    const frame = (view: 'links' | 'detail') => {
      const ui = createUi();
      if (view === 'detail') Object.assign(ui, { view: 'detail', detailLink: 1 });
      return renderFrame(s, ui, { width: 140, height: 30, label: 'live', replay: null, faults: false }).lines.join('\n');
    };
    expect(frame('links').split('\n')[0]).toContain('CAPTURE LOSING DATA (disk-error: ENOSPC)');
    expect(frame('detail')).toContain('CAPTURE LOSING DATA (disk-error: ENOSPC)');
    apply(s, loss('ended', 5000));
    expect(frame('links')).not.toContain('CAPTURE LOSING');
    expect(frame('detail')).toContain('4.88 KB not in the capture (recorded as gaps)');
  });
});

describe('the lab numbers its replicas', () => {
  it('#N on the screen is the replica=N of the lab, whatever link it is on; the detail names the link', () => {
    const s = createTuiState({}, (port) => ({ '6381': 1, '6382': 2 })[port] ?? null);
    for (const e of [...handshake(7, T0, 6382), ...handshake(8, T0 + 1, 6381), ...handshake(9, T0 + 2, 7000)]) apply(s, e);
    const text = renderFrame(s, createUi(), { width: 100, height: 20, label: 'lab', replay: null, faults: true }).lines.join('\n');
    expect(text).toMatch(/^ {2}# {4}REPLICA/m);
    expect(text).toMatch(/^ {2}#2 +127\.0\.0\.1:40007 +:6382 /m);
    expect(text).toMatch(/^ {2}#1 +127\.0\.0\.1:40008 +:6381 /m);
    expect(text).toMatch(/^ {2}#9 +127\.0\.0\.1:40009 +:7000 /m); // not one of the lab's replicas: its link
    const ui = createUi();
    handleKey(ui, 'enter', s, { pageRows: 10, replay: false, faults: true });
    expect(renderFrame(s, ui, { width: 100, height: 20, label: 'lab', replay: null, faults: true }).lines[1]).toMatch(/^#2 replica 127\.0\.0\.1:40007 \(listening-port 6382\) on link #7 → master/);
  });
});
