// How SDK failures become exit codes and messages. Pure: error objects shaped like the SDK's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { missingAction, toRotctlError } from '../src/aws-errors.js';

const ctx = { secret: 'app/db', region: 'us-east-1', operation: 'UpdateSecretVersionStage' };

function sdkError(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, ...extra });
}

describe('toRotctlError', () => {
  const rows: Array<[string, Error, number, RegExp]> = [
    [
      'access denied names the IAM action from the message',
      sdkError(
        'AccessDeniedException',
        'User: arn:aws:iam::123456789012:user/x is not authorized to perform: ' +
          'secretsmanager:UpdateSecretVersionStage on resource: app/db',
      ),
      6,
      /needs secretsmanager:UpdateSecretVersionStage/,
    ],
    [
      'not found names the secret and region',
      sdkError('ResourceNotFoundException', 'x'),
      6,
      /app\/db not found in us-east-1/,
    ],
    [
      'throttling is transient',
      sdkError('ThrottlingException', 'Rate exceeded'),
      7,
      /after retries/,
    ],
    [
      'a refused connection is transient',
      sdkError('Error', 'connect', { code: 'ECONNREFUSED' }),
      7,
      /after retries/,
    ],
    [
      'a host that does not resolve is a usage error',
      sdkError('Error', 'getaddrinfo ENOTFOUND x', { code: 'ENOTFOUND' }),
      2,
      /No Secrets Manager endpoint answers for region us-east-1/,
    ],
    [
      'an HTML page with a 500 is transient and described plainly',
      sdkError('SyntaxError', "Unexpected token '<' Deserialization error: …", {
        $metadata: { httpStatusCode: 500 },
      }),
      7,
      /HTTP 500 with a body that is not a Secrets Manager response/,
    ],
    [
      'an HTML page with a 404 is not Secrets Manager',
      sdkError('SyntaxError', "Unexpected token '<'", { $metadata: { httpStatusCode: 404 } }),
      6,
      /HTTP 404 with a body that is not a Secrets Manager response/,
    ],
    [
      'missing credentials are a usage error',
      sdkError('CredentialsProviderError', 'Could not load credentials'),
      2,
      /No usable AWS credentials/,
    ],
    [
      'a missing region is a usage error',
      sdkError('Error', 'Region is missing'),
      2,
      /No AWS region/,
    ],
    [
      'a rejected parameter is exit 6',
      sdkError('InvalidParameterException', 'bad', { $fault: 'client' }),
      6,
      /AWS rejected UpdateSecretVersionStage/,
    ],
  ];
  for (const [name, err, code, message] of rows) {
    it(name, () => {
      const mapped = toRotctlError(err, ctx);
      assert.equal(mapped.exitCode, code);
      assert.match(mapped.message, message);
      assert.doesNotMatch(mapped.message, /Deserialization|\$response/);
    });
  }
});

describe('missingAction', () => {
  it('reads KMS denials as kms:Decrypt', () => {
    assert.equal(missingAction('Access to KMS is not allowed', 'GetSecretValue'), 'kms:Decrypt');
  });
  it('falls back to the operation when the message names no action', () => {
    assert.equal(
      missingAction('denied', 'CancelRotateSecret'),
      'secretsmanager:CancelRotateSecret',
    );
  });
});
