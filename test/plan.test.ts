// The planner, one line per state of rotation-domain §2.4. Pure: no AWS, no moto.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  applyMoves,
  assess,
  buildPlan,
  undoMoves,
  verifyLabels,
  type Choice,
} from '../src/plan.js';
import { labelMap, type SecretSnapshot, type ValuePresence } from '../src/state.js';

const A = 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa';
const B = 'bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb';
const P = 'cccccccc-3333-4333-8333-cccccccccccc';
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-credentials-AbC123';
const HOUR = 3600_000;
const NOW = new Date('2026-12-04T12:00:00Z');

type Labels = Record<string, string[]>;

function snap(labels: Labels, extra: Partial<SecretSnapshot> & { pValue?: ValuePresence } = {}) {
  const { pValue = 'present', ...rest } = extra;
  const versions = Object.entries(labels).map(([id, l]) => ({
    id,
    labels: l,
    createdDate: new Date(NOW.getTime() - 48 * HOUR),
    value: (id === P ? pValue : 'not-checked') as ValuePresence,
  }));
  const base: SecretSnapshot = {
    arn: ARN,
    name: 'app/db-credentials',
    region: 'us-east-1',
    rotationEnabled: true,
    rotationLambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:rot',
    lastRotatedDate: undefined,
    nextRotationDate: undefined,
    lastChangedDate: undefined,
    deletedDate: undefined,
    owningService: undefined,
    primaryRegion: undefined,
    externalType: undefined,
    kmsKeyId: undefined,
    versions,
  };
  return { ...base, ...rest };
}

const stuck: Labels = { [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'], [P]: ['AWSPENDING'] };
const verdicts = (s: SecretSnapshot) => {
  const a = assess(s, NOW);
  const allowed = (c: Choice) => (a.options?.[c].allowed ? c : `no-${c}`);
  return [
    a.code,
    a.blocking,
    allowed('rollback'),
    allowed('promote'),
    a.recommended ?? '-',
    a.safeWithoutChoice ?? '-',
    a.refusal ? 'refused' : 'ok',
  ];
};

describe('assess: state, options, recommendation, what bare --yes may do', () => {
  const rows: Array<[string, SecretSnapshot, unknown[]]> = [
    [
      'S1 no AWSPENDING',
      snap({ [A]: ['AWSCURRENT'], [B]: ['AWSPREVIOUS'] }),
      ['S1', false, 'no-rollback', 'no-promote', '-', 'nothing', 'ok'],
    ],
    // promote here only finishes an interrupted promote: it removes the leftover AWSPENDING.
    [
      'S2 AWSPENDING on AWSCURRENT',
      snap({ [A]: ['AWSCURRENT', 'AWSPENDING'] }),
      ['S2', false, 'no-rollback', 'promote', '-', 'nothing', 'ok'],
    ],
    [
      'S3 placeholder without value',
      snap(stuck, { pValue: 'absent' }),
      ['S3', true, 'rollback', 'no-promote', 'rollback', 'rollback', 'ok'],
    ],
    ['S6 pending holds a value', snap(stuck), ['S6', true, 'rollback', 'promote', '-', '-', 'ok']],
    [
      'S6 pending value unknown (KMS)',
      snap(stuck, { pValue: 'unknown' }),
      ['S6', true, 'rollback', 'no-promote', 'rollback', '-', 'ok'],
    ],
    [
      'S7 AWSPENDING on AWSPREVIOUS',
      snap({ [A]: ['AWSCURRENT'], [P]: ['AWSPENDING', 'AWSPREVIOUS'] }),
      ['S7', true, 'rollback', 'no-promote', 'rollback', 'rollback', 'ok'],
    ],
    [
      'S8 no AWSCURRENT, value',
      snap({ [P]: ['AWSPENDING'] }),
      ['S8', true, 'no-rollback', 'promote', 'promote', '-', 'ok'],
    ],
    [
      'S8 no AWSCURRENT, no value',
      snap({ [P]: ['AWSPENDING'] }, { pValue: 'absent' }),
      ['S8', true, 'no-rollback', 'no-promote', '-', '-', 'refused'],
    ],
    [
      'S9 rotation off, old pending',
      snap(stuck, { rotationEnabled: false }),
      ['S6', true, 'rollback', 'promote', '-', '-', 'ok'],
    ],
    [
      'S11 custom labels',
      snap({ [A]: ['AWSCURRENT', 'pinned'], [P]: ['AWSPENDING', 'canary'] }),
      ['S6', true, 'rollback', 'promote', '-', '-', 'ok'],
    ],
    [
      'S13 managed, blocked',
      snap(stuck, { owningService: 'rds' }),
      ['S13', true, 'rollback', 'promote', '-', '-', 'refused'],
    ],
    [
      'S13 managed, clean',
      snap({ [A]: ['AWSCURRENT'] }, { owningService: 'rds' }),
      ['S1', false, 'no-rollback', 'no-promote', '-', 'nothing', 'ok'],
    ],
    [
      'S14 replica',
      snap(stuck, { primaryRegion: 'us-west-2' }),
      ['S14', true, 'no-rollback', 'no-promote', '-', '-', 'refused'],
    ],
    [
      'S14 primary itself',
      snap(stuck, { primaryRegion: 'us-east-1' }),
      ['S6', true, 'rollback', 'promote', '-', '-', 'ok'],
    ],
    [
      'S15 scheduled for deletion',
      snap(stuck, { deletedDate: NOW }),
      ['S15', true, 'no-rollback', 'no-promote', '-', '-', 'refused'],
    ],
    [
      'S16 external secret, blocked',
      snap(stuck, { externalType: 'partner' }),
      ['S16', true, 'rollback', 'promote', '-', '-', 'refused'],
    ],
    [
      'AWSCURRENT on two versions',
      snap({ [A]: ['AWSCURRENT'], [B]: ['AWSCURRENT'] }),
      ['DUPLICATE', false, 'no-rollback', 'no-promote', '-', '-', 'refused'],
    ],
    [
      'AWSPENDING on two versions',
      snap({ [A]: ['AWSCURRENT'], [B]: ['AWSPENDING'], [P]: ['AWSPENDING'] }),
      ['DUPLICATE', true, 'no-rollback', 'no-promote', '-', '-', 'refused'],
    ],
  ];
  for (const [name, input, want] of rows) {
    it(name, () => assert.deepEqual(verdicts(input), want));
  }

  it('S12: a fresh pending version on an enabled rotation gets an in-flight note', () => {
    const fresh = snap(stuck);
    const pending = fresh.versions.find((v) => v.id === P);
    if (pending) pending.createdDate = new Date(NOW.getTime() - 60_000);
    assert.match(assess(fresh, NOW).notes.join(' '), /may still be running/);
    assert.doesNotMatch(assess(snap(stuck), NOW).notes.join(' '), /may still be running/);
  });

  it('S14 names the command to run against the primary', () => {
    const a = assess(snap(stuck, { primaryRegion: 'eu-west-1' }), NOW);
    assert.equal(a.refusal?.command, `rotctl cancel ${ARN.replace(':us-east-1:', ':eu-west-1:')}`);
  });
});

describe('buildPlan: the exact writes', () => {
  const plan = (s: SecretSnapshot, c: Choice | 'nothing') => buildPlan(s, assess(s, NOW), c);

  it('roll back removes AWSPENDING from the pending version only', () => {
    assert.deepEqual(plan(snap(stuck), 'rollback').moves, [{ label: 'AWSPENDING', removeFrom: P }]);
  });

  it('promote names the live AWSCURRENT holder, then removes AWSPENDING', () => {
    assert.deepEqual(plan(snap(stuck), 'promote').moves, [
      { label: 'AWSCURRENT', moveTo: P, removeFrom: A },
      { label: 'AWSPENDING', removeFrom: P },
    ]);
  });

  it('promote on S2 only removes AWSPENDING from the version that is already current', () => {
    const s = snap({ [A]: ['AWSPREVIOUS'], [P]: ['AWSCURRENT', 'AWSPENDING'] });
    const a = assess(s, NOW);
    const p = buildPlan(s, a, 'promote');
    assert.deepEqual(p.moves, [{ label: 'AWSPENDING', removeFrom: P }]);
    assert.deepEqual(applyMoves(p.expected, undoMoves(a, p)), labelMap(s.versions));
  });

  it('promote with no AWSCURRENT anywhere sends no RemoveFromVersionId', () => {
    const [first] = plan(snap({ [P]: ['AWSPENDING'] }), 'promote').moves;
    assert.deepEqual(first, { label: 'AWSCURRENT', moveTo: P, removeFrom: undefined });
  });

  it('cancels only when rotation is enabled', () => {
    assert.equal(plan(snap(stuck), 'rollback').cancelRotation, true);
    assert.equal(plan(snap(stuck, { rotationEnabled: false }), 'rollback').cancelRotation, false);
  });

  it('expects AWSPREVIOUS to follow AWSCURRENT and custom labels to stay', () => {
    const s = snap({ [A]: ['AWSCURRENT', 'pinned'], [B]: ['AWSPREVIOUS'], [P]: ['AWSPENDING'] });
    assert.deepEqual(plan(s, 'promote').expected, {
      [A]: ['AWSPREVIOUS', 'pinned'],
      [B]: [],
      [P]: ['AWSCURRENT'],
    });
    assert.deepEqual(plan(s, 'rollback').expected, {
      [A]: ['AWSCURRENT', 'pinned'],
      [B]: ['AWSPREVIOUS'],
      [P]: [],
    });
  });

  it('never removes AWSCURRENT without moving it, in any state and choice', () => {
    for (const s of [
      snap(stuck),
      snap({ [P]: ['AWSPENDING'] }),
      snap(stuck, { pValue: 'absent' }),
    ]) {
      for (const c of ['rollback', 'promote'] as const) {
        for (const m of plan(s, c).moves) {
          assert.ok(m.label !== 'AWSCURRENT' || m.moveTo, JSON.stringify(m));
          assert.ok(m.label !== 'AWSPREVIOUS', 'AWSPREVIOUS is never moved by hand');
        }
      }
    }
  });
});

describe('undo and verify', () => {
  it('undoing a promote restores the labels exactly', () => {
    const s = snap(stuck);
    const a = assess(s, NOW);
    const p = buildPlan(s, a, 'promote');
    assert.deepEqual(applyMoves(p.expected, undoMoves(a, p)), labelMap(s.versions));
  });

  it('undoing a promote restores the labels exactly when there was no AWSPREVIOUS', () => {
    const s = snap({ [A]: ['AWSCURRENT'], [P]: ['AWSPENDING'] });
    const a = assess(s, NOW);
    const p = buildPlan(s, a, 'promote');
    assert.deepEqual(applyMoves(p.expected, undoMoves(a, p)), labelMap(s.versions));
  });

  it('undoing a roll back restores the labels exactly', () => {
    const s = snap(stuck);
    const a = assess(s, NOW);
    const p = buildPlan(s, a, 'rollback');
    assert.deepEqual(applyMoves(p.expected, undoMoves(a, p)), labelMap(s.versions));
  });

  it('verify accepts the expected state and names every difference', () => {
    const want = { [A]: ['AWSCURRENT'], [P]: [] };
    assert.deepEqual(verifyLabels(want, { [A]: ['AWSCURRENT'], [P]: [] }), []);
    const got = verifyLabels(want, { [A]: ['AWSCURRENT'], [P]: ['AWSPENDING'] });
    assert.equal(got.length, 2);
    assert.match(got.join('\n'), /other than AWSCURRENT/);
    assert.match(verifyLabels(want, { [A]: [], [P]: [] }).join(), /0 versions hold AWSCURRENT/);
  });
});
