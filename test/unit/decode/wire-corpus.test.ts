// Every recorded session of the wire corpus decodes to what the servers themselves reported (meta.json),
// under the recorded chunking and under every re-chunking of each direction.
import { describe, expect, it } from 'vitest';
import { chunkings, sampledChunkings } from '../../helpers/chunkings.js';
import { requireCorpus } from '../../helpers/corpus.js';
import { chunkingFreeFacts, decodeSession } from '../../helpers/session-decode.js';
import { loadWireSession, wireSessionNames, type Rechunk } from '../../helpers/wire-corpus.js';

const hasCorpus = requireCorpus('wire', 'decoding of every recorded session against the servers\' own INFO');
const names = hasCorpus ? wireSessionNames() : [];

describe.skipIf(!hasCorpus)('wire corpus', () => {
  it('has the recorded sessions', () => {
    expect(names.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of names) {
    describe(name, () => {
      const s = loadWireSession(name);
      const events = decodeSession(s);
      const mi = s.meta.master_info_replication;

      it('decodes without protocol violations', () => {
        expect(events.filter((e) => e.type === 'protocol-violation')).toEqual([]);
      });

      it("agrees with the master's replid and final offset", () => {
        const replids = events.flatMap((e) => (e.type === 'fullresync' || e.type === 'continue' || e.type === 'endoff' ? [e.replid] : []));
        expect(replids.length).toBeGreaterThan(0);
        for (const r of replids) expect(r).toBe(mi.master_replid);
        const commands = events.filter((e) => e.type === 'command');
        const last = commands[commands.length - 1];
        expect(last.type === 'command' && last.offset).toBe(Number(mi.master_repl_offset));
      });

      it("agrees with each replica's last ACK", () => {
        const lastAck = new Map<number, number>();
        for (const e of events) if (e.type === 'ack') lastAck.set(e.link, e.offset);
        const replicaOffsets = s.meta.replica_info_replication.map((r) => Number(r.slave_repl_offset));
        // one replica per main link; the last ACK seen of all its links is its slave_repl_offset
        const acks = [...lastAck.values()];
        expect(acks.length).toBeGreaterThanOrEqual(replicaOffsets.length);
        expect(Math.max(...acks)).toBe(Math.max(...replicaOffsets));
        if (replicaOffsets.length > 1) expect([...lastAck.values()].sort()).toEqual(replicaOffsets.map(Number).sort());
      });

      it('never shows a password unless asked', () => {
        const shown = decodeSession(s, undefined, true);
        const secrets = shown.flatMap((e) => (e.type === 'replica-command' && e.argv[0].toUpperCase() === 'AUTH' ? e.argv.slice(-1) : []));
        const masked = JSON.stringify(events.map((e) => (e.type === 'command' ? { ...e, argv: e.argv.map(String) } : e)));
        for (const secret of secrets) expect(masked).not.toContain(secret);
        if (s.meta.password_set) expect(secrets.length).toBeGreaterThan(0);
      });

      it('pairs the channels of a two-connection sync and groups replicas sharing one BGSAVE', () => {
        const pairs = events.filter((e) => e.type === 'link-pair');
        const shared = events.filter((e) => e.type === 'shared-snapshot');
        if (name.startsWith('r8x') || name.startsWith('v80')) {
          expect(pairs.map((e) => e.type === 'link-pair' && [e.mainLink, e.rdbLink])).toEqual([[1, 2]]);
        } else expect(pairs).toEqual([]);
        if (name === 'r70-shared-bgsave-3') {
          const last = shared[shared.length - 1];
          expect(last.type === 'shared-snapshot' && [last.links, last.replid, last.offset]).toEqual([[1, 2, 3], mi.master_replid, 0]);
        } else expect(shared).toEqual([]);
        // every replica's first ACK after its snapshot tells how long it took to load
        const firstAcks = events.filter((e) => e.type === 'ack' && e.loadMs !== undefined);
        expect(firstAcks.length).toBe(s.meta.replica_info_replication.length);
      });

      it('gives the same facts under every chunking of every direction', () => {
        const expected = chunkingFreeFacts(events);
        let runs = 0;
        for (const c of s.conns) {
          for (const from of ['master', 'replica'] as const) {
            const bytes = from === 'master' ? c.m2r : c.r2m;
            const gen = bytes.length > 1500 ? sampledChunkings(bytes, 300, 10) : chunkings(bytes, 10);
            for (const ch of gen) {
              const rechunk: Rechunk = (conn, f, _b, rec) => (conn === c.conn && f === from ? ch.chunks : rec);
              const got = chunkingFreeFacts(decodeSession(s, rechunk));
              if (got.join('\n') !== expected.join('\n')) {
                expect(got, `conn${c.conn} ${from} ${ch.name}`).toEqual(expected);
              }
              runs++;
            }
          }
        }
        expect(runs).toBeGreaterThan(100);
      });
    });
  }
});
