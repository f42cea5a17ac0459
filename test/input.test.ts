// What the operator types is checked before anything is sent.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RotctlError } from '../src/errors.js';
import { checkEndpoint, parseTarget, printable } from '../src/input.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbC123';

describe('parseTarget', () => {
  it('takes the region from an ARN', () => {
    assert.deepEqual(parseTarget(ARN, undefined), { secretId: ARN, region: 'eu-west-1' });
  });

  it('keeps names as they are', () => {
    assert.deepEqual(parseTarget('app/db', 'us-east-1'), {
      secretId: 'app/db',
      region: 'us-east-1',
    });
  });

  const bad: Array<[string, string, string | undefined, RegExp]> = [
    ['empty', '', undefined, /empty/],
    ['blank', '   ', undefined, /empty/],
    ['trailing space', 'app/db ', undefined, /spaces/],
    ['control character', 'app/\u0007db', undefined, /control/],
    ['non-UTF-8 bytes', 'app/\ufffddb', undefined, /non-UTF-8/],
    ['too long', 'x'.repeat(2049), undefined, /limit is 2048/],
    ['malformed ARN', 'arn:aws:secretsmanager:us-east-1:secret', undefined, /Not a Secrets/],
    ['ARN of another service', 'arn:aws:s3:::bucket', undefined, /Not a Secrets/],
    ['region mismatch', ARN, 'us-east-1', /eu-west-1 but --region says us-east-1/],
    ['invalid region', 'app/db', 'mars-1', /Not an AWS region/],
  ];
  for (const [name, id, region, message] of bad) {
    it(`refuses ${name} with a usage error`, () => {
      assert.throws(
        () => parseTarget(id, region),
        (err: unknown) =>
          err instanceof RotctlError && err.exitCode === 2 && message.test(err.message),
      );
    });
  }
});

describe('checkEndpoint and printable', () => {
  it('accepts http(s) URLs only', () => {
    assert.equal(checkEndpoint('http://127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.throws(() => checkEndpoint('ftp://x'), RotctlError);
    assert.throws(() => checkEndpoint('not a url'), RotctlError);
  });

  it('shows invisible characters as escapes', () => {
    assert.equal(printable('a\u001bb'), 'a\\u001bb');
  });
});
