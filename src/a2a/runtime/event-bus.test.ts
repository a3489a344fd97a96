import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventBus, type TaskEvent } from './event-bus.js';

function ev(id: number): TaskEvent {
  return {
    id,
    payload: {
      statusUpdate: { taskId: 't', contextId: 'c', status: { state: 'TASK_STATE_WORKING' } },
    },
    state: 'TASK_STATE_WORKING',
  };
}

const ids = (events: readonly TaskEvent[] | undefined) => events?.map((e) => e.id);

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryEventBus', () => {
  it('costs nothing for tasks nobody watches', () => {
    const bus = new MemoryEventBus();
    bus.publish('t1', ev(1));
    bus.close('t1');
    expect(bus.channelCount).toBe(0);
    const sub = bus.subscribe('t1', () => {});
    expect(bus.channelCount).toBe(1);
    sub.unsubscribe();
    expect(bus.channelCount).toBe(0);
  });

  it('delivers events in order to every subscriber of the task, and only to them', () => {
    const bus = new MemoryEventBus();
    const a: number[] = [];
    const b: number[] = [];
    const other: number[] = [];
    bus.subscribe('t1', (e) => a.push(e.id));
    bus.subscribe('t1', (e) => b.push(e.id));
    bus.subscribe('t2', (e) => other.push(e.id));
    for (let i = 1; i <= 5; i++) bus.publish('t1', ev(i));
    expect(a).toEqual([1, 2, 3, 4, 5]);
    expect(b).toEqual([1, 2, 3, 4, 5]);
    expect(other).toEqual([]);
  });

  it('stops delivering after unsubscribe, also when a listener leaves during a publish', () => {
    const bus = new MemoryEventBus();
    const a: number[] = [];
    const b: number[] = [];
    const subA = bus.subscribe('t1', (e) => {
      a.push(e.id);
      subA.unsubscribe();
    });
    bus.subscribe('t1', (e) => b.push(e.id));
    bus.publish('t1', ev(1));
    bus.publish('t1', ev(2));
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
  });

  it('replays buffered events newer than afterId', () => {
    const bus = new MemoryEventBus();
    bus.subscribe('t1', () => {});
    for (let i = 1; i <= 5; i++) bus.publish('t1', ev(i));
    expect(ids(bus.subscribe('t1', () => {}, 2).replay)).toEqual([3, 4, 5]);
    expect(ids(bus.subscribe('t1', () => {}, 0).replay)).toEqual([1, 2, 3, 4, 5]);
    expect(ids(bus.subscribe('t1', () => {}, 5).replay)).toEqual([]);
    expect(ids(bus.subscribe('t1', () => {}, 9).replay)).toEqual([]);
    expect(bus.subscribe('t1', () => {}).replay).toBeUndefined();
  });

  it('says so (replay undefined) when the buffer no longer reaches back to afterId', () => {
    const bus = new MemoryEventBus({ replayBufferSize: 3 });
    bus.subscribe('t1', () => {});
    for (let i = 1; i <= 5; i++) bus.publish('t1', ev(i));
    expect(bus.subscribe('t1', () => {}, 0).replay).toBeUndefined();
    expect(bus.subscribe('t1', () => {}, 1).replay).toBeUndefined();
    expect(ids(bus.subscribe('t1', () => {}, 2).replay)).toEqual([3, 4, 5]);
  });

  it('has nothing to replay for a task whose events it never saw', () => {
    const bus = new MemoryEventBus();
    expect(bus.subscribe('t1', () => {}, 3).replay).toBeUndefined();
  });

  it('a reconnecting listener gets the replay, then live events, with no gap and no duplicate', () => {
    const bus = new MemoryEventBus();
    const first: number[] = [];
    const sub = bus.subscribe('t1', (e) => first.push(e.id));
    bus.publish('t1', ev(1));
    bus.publish('t1', ev(2));
    sub.unsubscribe();
    bus.publish('t1', ev(3));
    bus.publish('t1', ev(4));
    const second: number[] = [];
    const again = bus.subscribe('t1', (e) => second.push(e.id), first.at(-1));
    second.unshift(...(ids(again.replay) ?? []));
    bus.publish('t1', ev(5));
    expect([...first, ...second]).toEqual([1, 2, 3, 4, 5]);
  });

  it('frees at once a dropped channel whose only event is the final task snapshot (replay adds nothing)', () => {
    const bus = new MemoryEventBus();
    const sub = bus.subscribe('t1', () => {});
    const finalSnapshot: TaskEvent = {
      id: 3,
      payload: { task: { id: 't1', contextId: 'c', status: { state: 'TASK_STATE_COMPLETED' } } },
      state: 'TASK_STATE_COMPLETED',
    };
    bus.publish('t1', finalSnapshot);
    sub.unsubscribe();
    bus.close('t1');
    expect(bus.channelCount).toBe(0);
    // A dropped channel with real progress in it is kept for the reconnect.
    const other = bus.subscribe('t2', () => {});
    bus.publish('t2', ev(1));
    other.unsubscribe();
    bus.close('t2');
    expect(bus.channelCount).toBe(1);
  });

  it('frees a finished channel at once when its subscribers saw the end', () => {
    const bus = new MemoryEventBus();
    const sub = bus.subscribe('t1', () => {});
    bus.publish('t1', ev(1));
    bus.close('t1');
    sub.unsubscribe();
    expect(bus.channelCount).toBe(0);
    expect(bus.subscribe('t1', () => {}, 0).replay).toBeUndefined();
  });

  it('keeps a channel its client dropped mid-stream for the reconnect, then frees it after the TTL', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const bus = new MemoryEventBus({ closedChannelTtlMs: 30_000 });
    const sub = bus.subscribe('t1', () => {});
    bus.publish('t1', ev(1));
    sub.unsubscribe();
    bus.publish('t1', ev(2));
    bus.close('t1');
    expect(bus.channelCount).toBe(1);
    vi.setSystemTime(1_000_000 + 10_000);
    const late = bus.subscribe('t1', () => {}, 1);
    expect(ids(late.replay)).toEqual([2]);
    late.unsubscribe();
    vi.setSystemTime(1_000_000 + 31_000);
    // Eviction happens as other channels finish.
    bus.subscribe('t2', () => {}).unsubscribe();
    bus.subscribe('t2', () => {});
    bus.publish('t2', ev(1));
    bus.close('t2');
    expect(bus.subscribe('t1', () => {}, 1).replay).toBeUndefined();
  });

  it('keeps at most maxClosedChannels dropped channels', () => {
    const bus = new MemoryEventBus({ maxClosedChannels: 2 });
    for (const t of ['a', 'b', 'c', 'd']) {
      const sub = bus.subscribe(t, () => {});
      bus.publish(t, ev(1));
      sub.unsubscribe();
      bus.close(t);
    }
    expect(bus.channelCount).toBe(2);
    expect(bus.subscribe('a', () => {}, 0).replay).toBeUndefined();
    expect(ids(bus.subscribe('d', () => {}, 0).replay)).toEqual([1]);
  });

  it('never drops a channel someone still listens to, and frees it once they leave', () => {
    const bus = new MemoryEventBus({ maxClosedChannels: 1 });
    const got: number[] = [];
    const keep = bus.subscribe('kept', (e) => got.push(e.id));
    bus.publish('kept', ev(1));
    bus.close('kept');
    for (const t of ['x', 'y']) {
      const sub = bus.subscribe(t, () => {});
      bus.publish(t, ev(1));
      bus.close(t);
      sub.unsubscribe();
    }
    bus.publish('kept', ev(2));
    expect(got).toEqual([1, 2]);
    const before = bus.channelCount;
    keep.unsubscribe();
    // More channels finishing push the now-unwatched one out: the bus stays bounded.
    for (const t of ['p', 'q']) {
      const sub = bus.subscribe(t, () => {});
      bus.publish(t, ev(1));
      bus.close(t);
      sub.unsubscribe();
    }
    expect(bus.channelCount).toBeLessThanOrEqual(before);
    expect(bus.subscribe('kept', () => {}, 0).replay).toBeUndefined();
  });

  it('frees channels of tasks that never finish once nobody listens (bounded like finished ones)', () => {
    const bus = new MemoryEventBus({ maxClosedChannels: 2 });
    // Streams that end at input-required: events were buffered, the task never reaches a terminal state.
    for (let i = 0; i < 10; i++) {
      const sub = bus.subscribe(`waiting-${i}`, () => {});
      bus.publish(`waiting-${i}`, ev(1));
      sub.unsubscribe();
    }
    expect(bus.channelCount).toBeLessThanOrEqual(2);
    // The most recent one is still there for a reconnect.
    expect(ids(bus.subscribe('waiting-9', () => {}, 0).replay)).toEqual([1]);
  });

  it('keeps an unwatched channel of an unfinished task for the TTL', () => {
    vi.useFakeTimers({ now: 5_000_000 });
    const bus = new MemoryEventBus({ closedChannelTtlMs: 1_000 });
    const sub = bus.subscribe('t1', () => {});
    bus.publish('t1', ev(1));
    sub.unsubscribe();
    bus.publish('t1', ev(2));
    vi.setSystemTime(5_000_500);
    const back = bus.subscribe('t1', () => {}, 1);
    expect(ids(back.replay)).toEqual([2]);
    back.unsubscribe();
    vi.setSystemTime(5_010_000);
    bus.subscribe('other', () => {}).unsubscribe();
    const other = bus.subscribe('other', () => {});
    bus.publish('other', ev(1));
    other.unsubscribe();
    expect(bus.subscribe('t1', () => {}, 1).replay).toBeUndefined();
  });
});
