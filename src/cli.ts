/**
 * The table of contents: commands and options, nothing else. Each action loads its module on
 * demand, so --version and --help never load the AWS SDK.
 */
import { Command, CommanderError, Option } from 'commander';

import { ExitCode, RotctlError } from './errors.js';
import { VERSION } from './version.js';

const CANCEL_EXAMPLES = `
Examples:
  rotctl cancel app/db-credentials                      read, explain, ask, repair
  rotctl cancel app/db-credentials --dry-run            show the state and the plan only
  rotctl cancel app/db-credentials --yes                act only where one choice is safe
  rotctl cancel app/db-credentials --yes --rollback     runbook: keep the old value
  rotctl cancel arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbC123 \\
      --yes --promote --output json                     runbook: make the pending value current

Exit codes: 0 done or nothing to do, 2 usage, 3 decision needed, 4 refused as unsafe,
5 the secret changed or the check after writing failed, 6 AWS rejected a request,
7 transient failure (safe to run again), 130 interrupted.`;

export function buildProgram(): Command {
  const program = new Command('rotctl')
    .description('Cancel a stuck AWS Secrets Manager rotation and repair its staging labels.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program.command('cancel')
    .description('Cancel the rotation of a secret and repair AWSPENDING/AWSCURRENT safely.')
    .argument('<secret>', 'secret name or full ARN')
    .option('-y, --yes', 'confirm without prompts; alone, act only where one choice is safe')
    .addOption(new Option('--rollback', 'remove AWSPENDING; AWSCURRENT stays where it is')
      .conflicts('promote'))
    .addOption(new Option('--promote', 'move AWSCURRENT onto the pending version')
      .conflicts('rollback'))
    .option('--dry-run', 'read only: print the plan as API calls and AWS CLI commands')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json'])
      .default('text'))
    .option('--region <region>', 'AWS region (default: from the ARN, AWS_REGION or the profile)')
    .option('--profile <name>', 'AWS profile from your AWS config files')
    .option('--endpoint-url <url>', 'Secrets Manager endpoint to use instead of AWS\'s')
    .option('--no-color', 'no colour (NO_COLOR works too)')
    .option('-v, --verbose', 'one line per AWS call on stderr (never a value); stack traces')
    .addHelpText('after', CANCEL_EXAMPLES)
    .action(async (secret: string, flags: Record<string, unknown>) => {
      const { runCancelCommand } = await import('./commands/cancel-cli.js');
      process.exitCode = await runCancelCommand(secret, flags);
    });

  program.addHelpText('after', `
Example:
  rotctl cancel app/db-credentials --dry-run

Run rotctl cancel --help for every option and the exit codes.`);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    return exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    return quiet.includes(err.code) ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof RotctlError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  return ExitCode.internal;
}
