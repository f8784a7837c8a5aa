import { describe, expect, it } from 'vitest';
import { aCitizenObserved } from '../fixtures.test-support.js';
import type { MasterRow, SourceRecord } from '../domain/types.js';
import { aliasKey, BatchState, blockKey, masterKey, recordKey } from './batch-state.js';

const record = (recordId: string, masterId: string, dirty = false) => ({
  type: 'citizen' as const,
  blockingKeys: [`k:${recordId}`, 'k:shared'],
  dirty,
  record: {
    system: 'population',
    recordId,
    masterId,
    eventId: `e-${recordId}`,
    observedAt: 1,
    deleted: false,
    observation: aCitizenObserved({ system: 'population', recordId }),
  } satisfies SourceRecord,
});

const master = (masterId: string, mergedInto: string | null = null): MasterRow => ({
  masterId,
  entityType: 'citizen',
  status: mergedInto ? 'MERGED' : 'ACTIVE',
  version: 1,
  mergedInto,
  mergedFrom: [],
  golden: {},
  seq: 1,
  lineageHash: null,
});

describe('BatchState', () => {
  it('keeps the by-master and by-blocking-key indexes in step with record changes', () => {
    const s = new BatchState();
    s.setRecord(record('r1', 'A'));
    s.setRecord(record('r2', 'A'));
    expect(
      s
        .recordsOf('citizen', 'A')
        .map((e) => e.record.recordId)
        .sort(),
    ).toEqual(['r1', 'r2']);
    s.setRecord({ ...record('r1', 'B', true), blockingKeys: [] });
    expect(s.recordsOf('citizen', 'A').map((e) => e.record.recordId)).toEqual(['r2']);
    expect(s.recordsOf('citizen', 'B').map((e) => e.record.recordId)).toEqual(['r1']);
    expect([...(s.recordsByBlock.get(blockKey('citizen', 'k:shared')) ?? [])]).toEqual([
      recordKey('citizen', 'population', 'r2'),
    ]);
  });

  it("never lets a database read override the batch's own change", () => {
    const s = new BatchState();
    s.setRecord(record('r1', 'B', true));
    s.readRecord(record('r1', 'A'));
    expect(s.records.get(recordKey('citizen', 'population', 'r1'))?.record.masterId).toBe('B');
    s.setAlias(
      aliasKey('citizen', 'PID', '1'),
      { type: 'citizen', scheme: 'PID', value: '1', masterId: 'B', primary: true },
      true,
    );
    s.readAlias({ type: 'citizen', scheme: 'PID', value: '1', masterId: 'A', primary: false });
    s.dropAlias(aliasKey('citizen', 'PID', '1'));
    expect(s.aliasesOf('citizen', 'B')).toHaveLength(1);
  });

  it('absorb re-points records, identifiers, incoming links, older merges and open tasks', () => {
    const s = new BatchState();
    s.masters.set(masterKey('citizen', 'S'), {
      row: master('S'),
      isNew: false,
      dirty: false,
      pins: [],
      timeline: new Map(),
    });
    s.masters.set(masterKey('citizen', 'old'), {
      row: master('old', 'X'),
      isNew: false,
      dirty: false,
      pins: [],
      timeline: new Map(),
    });
    s.setRecord(record('r1', 'X'));
    s.setAlias(
      aliasKey('citizen', 'CMND9', '7'),
      { type: 'citizen', scheme: 'CMND9', value: '7', masterId: 'X', primary: false },
      false,
    );
    s.setLink(
      {
        fromType: 'business',
        fromMasterId: 'B1',
        relation: 'REPRESENTATIVE',
        targetType: 'citizen',
        targetScheme: 'PID',
        targetValue: '1',
        targetMasterId: 'X',
      },
      false,
    );
    s.setLink(
      {
        fromType: 'citizen',
        fromMasterId: 'X',
        relation: 'REPRESENTATIVE',
        targetType: 'citizen',
        targetScheme: 'PID',
        targetValue: '2',
        targetMasterId: null,
      },
      false,
    );
    s.reviewTasks.set('d', {
      at: 0,
      task: {
        entityType: 'citizen',
        kind: 'POSSIBLE_MATCH',
        masterId: 'X',
        otherMasterId: 'Y',
        attribute: null,
        dedupeKey: 'd',
        details: {},
      },
    });

    s.absorb('citizen', 'S', ['X']);

    expect(s.recordsOf('citizen', 'S').map((e) => [e.record.recordId, e.dirty])).toEqual([['r1', true]]);
    expect(s.aliasesOf('citizen', 'S').map((a) => a.value)).toEqual(['7']);
    expect(s.dirtyAliases.has(aliasKey('citizen', 'CMND9', '7'))).toBe(true);
    expect([...s.links.values()].map((l) => [l.fromMasterId, l.targetMasterId])).toEqual([['B1', 'S']]);
    expect(s.replacedLinksFrom.has(masterKey('citizen', 'X'))).toBe(true);
    expect(s.master('citizen', 'old')?.row.mergedInto).toBe('S');
    expect(s.reviewTasks.get('d')?.task.masterId).toBe('S');
    expect(s.deferred.map((d) => d.kind)).toEqual(['merged_into', 'review_tasks', 'match_exclusions']);
  });
});
