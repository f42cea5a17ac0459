/**
 * One line per AWS call for -v, on stderr. Only identifiers are logged, from an allow-list of
 * input fields, so nothing a request or response carries as a value can reach the log.
 */
export type CallLog = (line: string) => void;

const SAFE_INPUT_FIELDS = [
  'SecretId',
  'VersionId',
  'VersionStage',
  'MoveToVersionId',
  'RemoveFromVersionId',
  'IncludeDeprecated',
  'MaxResults',
] as const;

interface Handled {
  output?: { $metadata?: { attempts?: number } };
}
type Next = (args: { input: unknown }) => Promise<Handled>;
interface Context {
  commandName?: string;
}

export function callLogger(log: CallLog) {
  return (next: Next, context: Context) => async (args: { input: unknown }) => {
    const started = Date.now();
    const name = (context.commandName ?? 'call').replace(/Command$/, '');
    const head = `aws ${name} ${describeInput(args.input)}`.trimEnd();
    try {
      const result = await next(args);
      const attempts = result.output?.$metadata?.attempts ?? 1;
      log(`${head} -> ok (${Date.now() - started} ms${retries(attempts)})`);
      return result;
    } catch (err) {
      const errName = err instanceof Error ? err.name : 'Error';
      const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
      log(`${head} -> ${errName} (${Date.now() - started} ms${retries(attempts)})`);
      throw err;
    }
  };
}

function retries(attempts: number): string {
  return attempts > 1 ? `, ${attempts} attempts` : '';
}

function describeInput(input: unknown): string {
  if (typeof input !== 'object' || input === null) return '';
  const record = input as Record<string, unknown>;
  return SAFE_INPUT_FIELDS.filter((k) => record[k] !== undefined)
    .map((k) => `${k}=${String(record[k])}`)
    .join(' ');
}
