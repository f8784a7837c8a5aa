import { describe, expect, it } from 'vitest';
import { currentStatus, deadlineState, onTime, sortTimeline } from './dossier.kind.js';

describe('dossier timeline and deadlines', () => {
  it('orders statuses from all systems by time, once each', () => {
    const t = sortTimeline([
      { status: 'RESULT_RETURNED', at: 30 },
      { status: 'RECEIVED', at: 10 },
      { status: 'PROCESSING', at: 20 },
      { status: 'RECEIVED', at: 10 },
    ]);
    expect(t.map((e) => e.status)).toEqual(['RECEIVED', 'PROCESSING', 'RESULT_RETURNED']);
    expect(currentStatus(t)).toBe('RESULT_RETURNED');
    expect(currentStatus([])).toBe('UNKNOWN');
  });

  it('is on time when the result came back by the due date; open dossiers are judged at read time', () => {
    expect(onTime({ dueAt: 100, completedAt: 100 }, 'RESULT_RETURNED')).toBe(true);
    expect(onTime({ dueAt: 100, completedAt: 101 }, 'RESULT_RETURNED')).toBe(false);
    expect(onTime({ dueAt: 100, completedAt: null }, 'PROCESSING')).toBeNull();
    expect(deadlineState({ dueAt: 100, completedAt: null, status: 'PROCESSING' }, 150)).toBe('OPEN_OVERDUE');
    expect(deadlineState({ dueAt: 100, completedAt: null, status: 'PROCESSING' }, 50)).toBe('OPEN_IN_TIME');
    expect(deadlineState({ dueAt: 100, completedAt: 120, status: 'RESULT_RETURNED' }, 50)).toBe('DONE_LATE');
    expect(deadlineState({ dueAt: null, completedAt: null, status: 'RECEIVED' }, 50)).toBe('NO_DUE_DATE');
  });
});
