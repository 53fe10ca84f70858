import { describe, expect, it } from 'vitest';
import { faultSpecFromJson, parseFaultSpec } from '../../../src/lab/fault-spec.js';
import { faultText, isLinkFault, type FaultAction } from '../../../src/core/fault-action.js';

describe('parseFaultSpec', () => {
  it.each([
    ['replica=2,cut', { replica: 2 }, 0, { kind: 'cut' }],
    ['link=3,freeze=5s', { link: 3 }, 0, { kind: 'freeze', ms: 5000 }],
    ['replica=1,delay=250ms', { replica: 1 }, 0, { kind: 'delay', ms: 250 }],
    ['replica=1,bandwidth=100kb', { replica: 1 }, 0, { kind: 'bandwidth', bytesPerSec: 102400 }],
    ['replica=1,bandwidth=off', { replica: 1 }, 0, { kind: 'bandwidth', bytesPerSec: null }],
    ['link=2,cut-at=handshake', { link: 2 }, 0, { kind: 'cut-at-handshake' }],
    ['link=2,cut-at-rdb=50%', { link: 2 }, 0, { kind: 'cut-at-rdb', percent: 50, bytes: null }],
    ['link=2,cut-at-rdb=1mb', { link: 2 }, 0, { kind: 'cut-at-rdb', percent: null, bytes: 1 << 20 }],
    ['replica=3,after=1.5s,cut-at-offset=12345', { replica: 3 }, 1500, { kind: 'cut-at-offset', offset: 12345 }],
  ])('%s', (text, target, afterMs, action) => {
    expect(parseFaultSpec(text)).toEqual({ target, afterMs, action, text });
  });

  it.each([
    ['', /name a target/],
    ['replica=2', /name an action/],
    ['cut', /name a target/],
    ['replica=0,cut', /whole number from 1/],
    ['replica=1,link=2,cut', /one target/],
    ['replica=1,cut,freeze=1s', /one action/],
    ['replica=1,freeze=5', /not a duration/],
    ['replica=1,bandwidth=fast', /not a size/],
    ['replica=1,cut-at-rdb=150%', /between 0 and 100/],
    ['replica=1,cut-at=rdb', /handshake/],
    ['replica=1,explode', /unknown key "explode"/],
  ])('refuses %j with a clear message', (text, message) => {
    expect(() => parseFaultSpec(text)).toThrow(message);
  });
});

describe('faultSpecFromJson', () => {
  it('takes the object form, a spec string, or {"spec": ...}', () => {
    expect(faultSpecFromJson({ replica: 2, cut: true })).toMatchObject({ target: { replica: 2 }, action: { kind: 'cut' } });
    expect(faultSpecFromJson({ link: 3, freeze: '5s' })).toMatchObject({ target: { link: 3 }, action: { kind: 'freeze', ms: 5000 } });
    expect(faultSpecFromJson({ spec: 'link=1,cut-at-rdb=10%' })).toMatchObject({ action: { kind: 'cut-at-rdb', percent: 10 } });
    expect(faultSpecFromJson('replica=1,delay=5ms')).toMatchObject({ action: { kind: 'delay', ms: 5 } });
    expect(() => faultSpecFromJson([1])).toThrow(/name a target/);
  });
});

describe('one fault vocabulary: an action as the spec language writes it reads back as the same action', () => {
  const actions: FaultAction[] = [
    { kind: 'cut' },
    { kind: 'freeze', ms: 5000 },
    { kind: 'delay', ms: 0 },
    { kind: 'bandwidth', bytesPerSec: 1 << 20 },
    { kind: 'bandwidth', bytesPerSec: null },
    { kind: 'slice', maxBytes: 16 },
    { kind: 'slice', maxBytes: null },
    { kind: 'cut-at-handshake' },
    { kind: 'cut-at-rdb', percent: 50, bytes: null },
    { kind: 'cut-at-rdb', percent: null, bytes: 65536 },
    { kind: 'cut-at-offset', offset: 1234 },
  ];
  it.each(actions)('%j', (action) => {
    expect(parseFaultSpec(`link=3,${faultText(action)}`).action).toEqual(action);
    expect(isLinkFault(action)).toBe(['cut', 'freeze', 'delay', 'bandwidth', 'slice'].includes(action.kind));
  });
});
