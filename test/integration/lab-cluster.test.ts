// `repl-spy lab --cluster` with real cluster nodes: the cluster forms through the proxies, every replica's link
// ends at its own master's master_repl_offset, and a cluster client (redis-cli -c) through the proxies gets every
// reply, its MOVED redirections naming proxy ports. Redis is the oracle (INFO replication, CLUSTER SLOTS).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespClient } from '../../src/net/resp-client.js';
import { parseInfo, requireRedis } from '../helpers/redis.js';
import { requireTool } from '../helpers/require-tool.js';
import { spawnLab, until } from './lab-harness.js';

const hasRedis = requireRedis();
const hasCli = hasRedis && requireTool(spawnSync('redis-cli', ['--version']).error ? 'redis-cli not on PATH (Debian: redis-tools)' : null, 'the cluster lab tests');
const PASSWORD = 'cluster-test-pw';

interface Node {
  name: string;
  port: number;
  proxy: number;
}

describe.skipIf(!hasCli)('repl-spy lab --cluster', () => {
  let lab: ReturnType<typeof spawnLab>;
  let nodes: Node[];

  beforeAll(async () => {
    lab = spawnLab(['--cluster', '3', '--cluster-replicas', '1', '--password', PASSWORD, '--rate', '0']);
    await until(() => /cluster_state:ok/.test(lab.out.stderr) || lab.proc.exitCode !== null, 60_000, () => `the cluster\n${lab.out.stderr}`);
    expect(lab.proc.exitCode, lab.out.stderr).toBeNull();
    nodes = [...lab.out.stderr.matchAll(/^ {2}(\S+)\s+127\.0\.0\.1:(\d+)\s+proxy 127\.0\.0\.1:(\d+)/gm)].map((m) => ({ name: m[1]!, port: Number(m[2]), proxy: Number(m[3]) }));
  }, 90_000);

  afterAll(async () => {
    lab?.proc.kill('SIGINT');
    const end = await lab?.exit;
    expect(end?.code).toBe(0);
    expect(lab.out.stderr).toMatch(/servers stopped/);
  });

  const cli = (port: number, ...args: string[]): string =>
    spawnSync('redis-cli', ['-c', '-p', String(port), '-a', PASSWORD, '--no-auth-warning', ...args], { encoding: 'utf8' }).stdout.trim();

  it('six nodes, each behind its own proxy, and CLUSTER SLOTS names only proxy ports', async () => {
    expect(nodes.map((n) => n.name)).toEqual(['master-1', 'replica-1-1', 'master-2', 'replica-2-1', 'master-3', 'replica-3-1']);
    const client = await RespClient.connect('127.0.0.1', nodes[0]!.proxy, PASSWORD);
    try {
      // each range: [first, last, [ip, port, id, ...] of its master, then of its replicas]
      // (a replica is listed once the gossip has told its master a non-zero offset: poll)
      const listed = async (): Promise<Set<number>> => {
        const ranges = (await client.send(['CLUSTER', 'SLOTS'])) as unknown as [number, number, ...[string, number][]][];
        return new Set(ranges.flatMap(([, , ...servers]) => servers.map((s) => Number(s[1]))));
      };
      const all = new Set(nodes.map((n) => n.proxy));
      const deadline = Date.now() + 20_000;
      let ports = await listed();
      while (ports.size < all.size && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        ports = await listed();
      }
      expect(ports).toEqual(all);
    } finally {
      client.close();
    }
  });

  it('a cluster client through one proxy gets every reply; MOVED points at a proxy port', async () => {
    for (let i = 0; i < 30; i++) expect(cli(nodes[0]!.proxy, 'SET', `k:${i}`, `v${i}`)).toBe('OK');
    for (let i = 0; i < 30; i++) expect(cli(nodes[2]!.proxy, 'GET', `k:${i}`)).toBe(`v${i}`);
    const plain = await RespClient.connect('127.0.0.1', nodes[0]!.proxy, PASSWORD);
    try {
      // a key of another master's slot: the redirection names that master's proxy
      const err = await plain.send(['GET', 'k:not-here-1']).then(() => null, (e: Error) => e.message);
      const moved = err ?? (await plain.send(['GET', 'k:not-here-2']).then(() => null, (e: Error) => e.message));
      expect(moved).toMatch(/MOVED \d+ 127\.0\.0\.1:(\d+)/);
      const port = Number(/:(\d+)/.exec(moved!)![1]);
      expect([nodes[2]!.proxy, nodes[4]!.proxy]).toContain(port);
    } finally {
      plain.close();
    }
    // the client's links are client links, never replicas
    expect(lab.out.events.some((e) => e.type === 'client-open')).toBe(true);
  });

  it("every replica replicates through its master's proxy, its last command offset equal to that master's master_repl_offset", async () => {
    for (const [m, r] of [[0, 1], [2, 3], [4, 5]] as const) {
      const master = nodes[m]!;
      const psync = lab.out.events.find((e) => e.type === 'psync' && e.master === `127.0.0.1:${master.port}`);
      expect(psync, `${master.name}'s replica link`).toBeDefined();
      const replicaInfo = parseInfo(cli(nodes[r]!.port, 'INFO', 'replication'));
      expect(Number(replicaInfo.master_port)).toBe(master.proxy);
      await until(() => {
        const masterOffset = Number(parseInfo(cli(master.port, 'INFO', 'replication')).master_repl_offset);
        const last = lab.out.events.filter((e) => e.link === psync!.link && e.type === 'command').at(-1);
        return last && last.offset === masterOffset;
      }, 30_000, () => `${master.name}'s replica link at its master_repl_offset`);
    }
  });

  it("each propagated command carries CLUSTER KEYSLOT of its key as slot, a slot of the master whose stream carries it", async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `slot-check:${i}`);
    for (const key of keys) expect(cli(nodes[0]!.proxy, 'SET', key, 'v')).toBe('OK');
    const oracle = new Map(keys.map((key) => [key, Number(cli(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', key))]));
    // CLUSTER SLOTS names masters by proxy port: [first, last, [ip, proxy port, id], ...replicas]
    const ranges = JSON.parse(cli(nodes[0]!.port, '--json', 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const served = (proxy: number, slot: number) => ranges.some(([first, last, [, port]]) => port === proxy && slot >= first && slot <= last);
    const seen = new Map<string, { slot?: number; master: Node }>();
    await until(() => {
      for (const master of nodes.filter((n) => n.name.startsWith('master-'))) {
        const links = new Set(lab.out.events.filter((e) => e.type === 'psync' && e.master === `127.0.0.1:${master.port}`).map((e) => e.link));
        for (const e of lab.out.events) {
          if (e.type !== 'command' || !links.has(e.link)) continue;
          const [name, key] = e.argv as string[];
          if (name === 'SET' && key !== undefined && oracle.has(key)) seen.set(key, { slot: e.slot as number | undefined, master });
        }
      }
      return seen.size === keys.length;
    }, 30_000, () => `the SETs on the replica links (${seen.size} of ${keys.length} seen)`);
    for (const [key, { slot, master }] of seen) {
      expect(slot, key).toBe(oracle.get(key));
      expect(served(master.proxy, slot!), `${key} (slot ${slot}) on ${master.name}'s stream`).toBe(true);
    }
    expect(new Set([...seen.values()].map((s) => s.master.name)).size, 'the keys spread over the shards').toBe(3);
  });

  // last: it changes the topology
  it("CLUSTER FAILOVER on a replica: the old master comes back as its replica through the new master's proxy, +CONTINUE with the new replid", async () => {
    const [oldMaster, replica] = [nodes[0]!, nodes[1]!];
    const from = lab.out.events.length;
    expect(cli(replica.port, 'CLUSTER', 'FAILOVER')).toBe('OK');
    const resumed = await until(() => lab.out.events.slice(from).find((e) => e.type === 'continue' && e.master === `127.0.0.1:${replica.port}`), 30_000, () => `+CONTINUE from the promoted replica\n${lab.out.stderr}`);
    const promoted = parseInfo(cli(replica.port, 'INFO', 'replication'));
    expect(promoted.role).toBe('master');
    expect(resumed.reasonCode).toBe('failover-new-replid');
    expect(resumed.replid).toBe(promoted.master_replid);
    const asked = lab.out.events.slice(from).find((e) => e.type === 'psync' && e.link === resumed.link)!;
    expect(asked.replid).toBe(promoted.master_replid2); // the old master asks for the history the promoted one kept
    expect(Number(parseInfo(cli(oldMaster.port, 'INFO', 'replication')).master_port)).toBe(replica.proxy);
  });
});

describe.skipIf(!hasRedis)('repl-spy lab --cluster: bad input', () => {
  it('--cluster with --replicas or --sentinels: usage error, exit 2, before any server starts', async () => {
    const lab = spawnLab(['--cluster', '3', '--replicas', '2', '--sentinels', '3']);
    const end = await lab.exit;
    expect(end.code).toBe(2);
    expect(lab.out.stderr).toMatch(/--cluster does not go with --replicas, --sentinels/);
    expect(lab.out.stderr).not.toMatch(/starting a cluster/);
  });
});
