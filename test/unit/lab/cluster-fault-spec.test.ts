import { describe, expect, it } from 'vitest';
import { faultText, RESHARD_DEFAULT_SLOTS } from '../../../src/core/fault-action.js';
import { resolveClusterSpec } from '../../../src/lab/cluster-fault-spec.js';
import { rangesText } from '../../../src/lab/cluster-faults.js';
import { checkLabKind, parseFaultSpec } from '../../../src/lab/fault-spec.js';

const NODES = ['master-1', 'replica-1-1', 'master-2', 'replica-2-1', 'master-3', 'replica-3-1'];
const resolve = (text: string) => resolveClusterSpec(parseFaultSpec(text), NODES, 3);

describe('the cluster faults of the spec language', () => {
  it.each([
    ['shard=2,cluster-failover', { shard: 2 }, 0, { kind: 'cluster-failover', how: 'graceful' }],
    ['shard=2,cluster-failover=force', { shard: 2 }, 0, { kind: 'cluster-failover', how: 'force' }],
    ['node=replica-1-1,cluster-failover=takeover', { node: 'replica-1-1' }, 0, { kind: 'cluster-failover', how: 'takeover' }],
    ['shard=1,after=10s,kill-master', { shard: 1 }, 10_000, { kind: 'kill-master' }],
    ['shard=1,reshard=2', { shard: 1 }, 0, { kind: 'reshard', toShard: 2, slots: RESHARD_DEFAULT_SLOTS }],
    ['shard=1,reshard=3,slots=50', { shard: 1 }, 0, { kind: 'reshard', toShard: 3, slots: 50 }],
    ['node=master-2,revive', { node: 'master-2' }, 0, { kind: 'revive' }],
    ['revive', { master: true }, 0, { kind: 'revive' }],
  ])('%s', (text, target, afterMs, action) => {
    expect(parseFaultSpec(text)).toEqual({ target, afterMs, action, text });
  });

  it('faultText writes them back as specs', () => {
    for (const text of ['cluster-failover', 'cluster-failover=force', 'kill-master', 'reshard=2,slots=50']) {
      expect(faultText(parseFaultSpec(`shard=1,${text}`).action)).toBe(text);
    }
  });

  it.each([
    ['kill-master', /give shard=N or node=NAME/],
    ['replica=1,cluster-failover', /give shard=N or node=NAME/],
    ['shard=1,cluster-failover=soft', /no value, force or takeover/],
    ['shard=1,reshard=0', /the shard the slots go to/],
    ['shard=1,cut,slots=5', /slots= goes with reshard=/],
    ['shard=1,reshard=2,slots=0', /from 1 to 16384/],
    ['shard=1,cut', /shard= goes with the cluster faults/],
    ['node=master 1,cut', /node's name/],
    ['shard=1,node=master-1,kill-master', /one target/],
    ['replica=1,revive', /give no link= or replica=/],
  ])('refuses %j', (text, message) => {
    expect(() => parseFaultSpec(text)).toThrow(message);
  });
});

describe('resolveClusterSpec: what the cluster lab takes', () => {
  it('a link fault aimed at a node is that node\'s replica=N (the N-th node as printed)', () => {
    expect(resolve('node=replica-2-1,freeze=1s').target).toEqual({ replica: 4 });
    expect(resolve('node=master-1,cut').target).toEqual({ replica: 1 });
    expect(resolve('shard=3,kill-master').target).toEqual({ shard: 3 }); // a cluster fault keeps its target
  });

  it.each([
    ['shard=4,kill-master', /there is no shard 4: the lab has 3/],
    ['node=master-9,cluster-failover', /there is no node master-9: the lab has master-1, replica-1-1/],
    ['shard=1,reshard=5', /no shard 5 to move slots to/],
    ['replica=7,cut', /there is no replica 7: the lab has 6/],
    ['failover=kill', /no Sentinel/],
  ])('refuses %j as a usage error', (text, message) => {
    expect(() => resolve(text)).toThrow(message);
    try {
      resolve(text);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('RSPY_BAD_ARGS');
    }
  });

  it('the plain lab refuses the cluster faults and targets', () => {
    for (const text of ['shard=1,kill-master', 'node=master-1,cut', 'shard=1,revive']) {
      expect(() => checkLabKind(parseFaultSpec(text), false)).toThrow(/faults of the cluster lab \(--cluster N\)/);
    }
    expect(() => checkLabKind(parseFaultSpec('failover=kill'), false)).not.toThrow();
    expect(() => checkLabKind(parseFaultSpec('replica=1,cut'), false)).not.toThrow();
  });
});

describe('rangesText', () => {
  it('writes runs of slots as ranges', () => {
    expect(rangesText([1, 2, 3, 7, 9, 10])).toBe('1-3,7,9-10');
    expect(rangesText([])).toBe('none');
  });
});
