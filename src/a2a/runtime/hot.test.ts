import { describe, expect, it } from 'vitest';
import { extend, isoNow, newId } from './hot.js';

describe('extend', () => {
  it('gives what a spread gives: same keys, values and key order', () => {
    const base = JSON.parse('{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hi"}],"contextId":"c0"}');
    const extra = { taskId: 't1', contextId: 'c1' };
    const result = extend(base, extra);
    const spread = { ...base, ...extra };
    expect(result).toEqual(spread);
    expect(Object.keys(result)).toEqual(Object.keys(spread));
    expect(JSON.stringify(result)).toBe(JSON.stringify(spread));
    expect(result).not.toBe(base);
    expect(base.taskId).toBeUndefined();
  });

  it('keeps an own __proto__ key of parsed JSON as a plain property, like a spread', () => {
    const base = JSON.parse('{"messageId":"m1","__proto__":{"polluted":true}}');
    const result = extend(base, { taskId: 't1' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(result.polluted).toBeUndefined();
    expect(JSON.stringify(result)).toBe(JSON.stringify({ ...base, taskId: 't1' }));
  });
});

describe('isoNow', () => {
  it('is the current time as toISOString() prints it', () => {
    const before = Date.now();
    const now = isoNow();
    const after = Date.now();
    expect(now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const ms = Date.parse(now);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    expect(new Date(ms).toISOString()).toBe(now);
  });
});

describe('newId', () => {
  it('is a fresh random v4 UUID', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId()));
    expect(ids.size).toBe(1000);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
