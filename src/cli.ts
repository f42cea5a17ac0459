/**
 * The table of contents: commands and options, nothing else. Each action loads its module on
 * demand, so --version and --help never load the AWS SDK.
 */
import { Command, CommanderError, Option } from 'commander';

import { ExitCode, RotctlError, type ExitCodeValue } from './errors.js';
import { VERSION } from './version.js';

const CANCEL_EXAMPLES = `
Examples:
  rotctl cancel app/db-credentials                      read, explain, ask, repair
  rotctl cancel app/db-credentials --dry-run            show the state and the plan only
  rotctl cancel app/db-credentials --yes                act only where one choice is safe
  rotctl cancel app/db-credentials --yes --rollback     runbook: keep the old value
  rotctl cancel arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbC123 \\
      --yes --promote --output json                     runbook: make the pending value current

  rotctl cancel app/a app/b app/c --yes                 batch: each secret on its own
  rotctl cancel --from-file stuck.txt --yes --rollback  batch from a file (- for stdin)

Exit codes: 0 done or nothing to do, 2 usage, 3 decision needed, 4 refused as unsafe,
5 the secret changed or the check after writing failed, 6 AWS rejected a request,
7 transient failure (safe to run again), 130 interrupted. A batch exits with the most
severe code of its secrets.`;

const STATUS_EXAMPLES = `
Examples:
  rotctl status app/db-credentials
  rotctl status app/db-credentials --output json | jq .state.code

Exit codes: 0 rotation not blocked, 8 blocked (AWSPENDING on a version other than AWSCURRENT),
2 usage, 6 AWS rejected a request, 7 transient failure.`;

const SCAN_EXAMPLES = `
Examples:
  rotctl scan --region us-east-1
  rotctl scan --region us-east-1 --region eu-west-1 --output json
  rotctl scan --all-regions

Exit codes: 0 nothing blocked, 8 something blocked, 2 usage, 6 AWS rejected a request,
7 transient failure.`;

export function buildProgram(): Command {
  const program = new Command('rotctl')
    .description('Cancel a stuck AWS Secrets Manager rotation and repair its staging labels.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const cancel = program
    .command('cancel')
    .description('Cancel the rotation of secrets and repair AWSPENDING/AWSCURRENT safely.')
    .argument('[secret...]', 'secret names or full ARNs (several: a batch)')
    .option('-y, --yes', 'confirm without prompts; alone, act only where one choice is safe')
    .addOption(
      new Option('--rollback', 'remove AWSPENDING; AWSCURRENT stays where it is').conflicts(
        'promote',
      ),
    )
    .addOption(
      new Option('--promote', 'move AWSCURRENT onto the pending version').conflicts('rollback'),
    )
    .option('--dry-run', 'read only: print the plan as API calls and AWS CLI commands')
    .option('--from-file <file>', 'read secret ids from a file (- for stdin), one per line')
    .addHelpText('after', CANCEL_EXAMPLES)
    .action(async (secrets: string[], flags: Record<string, unknown>) => {
      const { runCancelCommand } = await import('./commands/cancel-cli.js');
      process.exitCode = await runCancelCommand(secrets, flags);
    });
  addCommonOptions(cancel);

  const status = program
    .command('status')
    .description("Show a secret's rotation state and the repair rotctl would make. Never writes.")
    .argument('<secret>', 'secret name or full ARN')
    .addHelpText('after', STATUS_EXAMPLES)
    .action(async (secret: string, flags: Record<string, unknown>) => {
      const { runStatusCommand } = await import('./commands/status.js');
      process.exitCode = await runStatusCommand(secret, flags);
    });
  addCommonOptions(status);

  const scan = program
    .command('scan')
    .description('Find every blocked rotation in one or more regions. Never writes.')
    .option('--region <region>', 'region to scan (repeat for several)', collect, [])
    .option('--all-regions', 'scan every region that answers with your credentials')
    .option('--all', 'list healthy secrets too')
    .option('--concurrency <n>', 'regions scanned at once', '4')
    .addHelpText('after', SCAN_EXAMPLES)
    .action(async (flags: Record<string, unknown>) => {
      const { runScanCommand } = await import('./commands/scan.js');
      process.exitCode = await runScanCommand(flags);
    });
  addCommonOptions(scan, { region: false });

  program
    .command('completion')
    .description('Print a shell completion script (bash or zsh).')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      `
Examples:
  source <(rotctl completion bash)      # add to ~/.bashrc
  source <(rotctl completion zsh)       # add to ~/.zshrc`,
    )
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      const script = completionScript(shell);
      if (!script)
        throw new RotctlError(ExitCode.usage, `No completion for "${shell}".`, 'Use bash or zsh.');
      process.stdout.write(script);
    });

  program.addHelpText(
    'after',
    `
Examples:
  rotctl status app/db-credentials            what state is it in, what would fix it
  rotctl cancel app/db-credentials --dry-run  the exact plan, no write
  rotctl cancel app/db-credentials            cancel and repair, asking before each write
  rotctl scan --region us-east-1              every blocked rotation in a region

Exit codes: 0 done, 2 usage, 3 decision needed, 4 refused, 5 changed under rotctl,
6 AWS rejected, 7 transient (safe to run again), 8 blocked (status, scan), 130 interrupted.
Run rotctl <command> --help for every option.`,
  );
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function addCommonOptions(cmd: Command, { region = true } = {}): void {
  cmd.addOption(
    new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
  );
  if (region) {
    cmd.option(
      '--region <region>',
      'AWS region (default: from the ARN, AWS_REGION or the profile)',
    );
  }
  cmd
    .option('--profile <name>', 'AWS profile from your AWS config files')
    .option('--endpoint-url <url>', "Secrets Manager endpoint to use instead of AWS's")
    .option('--no-color', 'no colour (NO_COLOR works too)')
    .option('-v, --verbose', 'one line per AWS call on stderr (never a value); stack traces');
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    process.stderr.write(`error: no command given.\n${program.helpInformation()}`);
    return ExitCode.usage;
  }
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    const code = exitCodeFor(err);
    if (wantsJson(argv)) {
      const command = program.args[0] ?? 'rotctl';
      const message = err instanceof Error ? err.message.replace(/^error: /, '') : String(err);
      const { errorDocument } = await import('./report.js');
      if (code !== ExitCode.ok) {
        const error = new RotctlError(code as ExitCodeValue, message);
        process.stdout.write(`${errorDocument(command, '', error)}\n`);
      }
    }
    return code;
  }
}

/** Usage errors found by the parser still owe --output json its one document. */
function wantsJson(argv: string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg === '--output=json' ||
      arg === '-ojson' ||
      ((arg === '--output' || arg === '-o') && argv[i + 1] === 'json'),
  );
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    return quiet.includes(err.code) ? ExitCode.ok : ExitCode.usage;
  }
  if (err instanceof RotctlError) {
    process.stderr.write(`error: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`);
    return err.exitCode;
  }
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  const verbose = process.argv.includes('-v') || process.argv.includes('--verbose');
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return ExitCode.internal;
}
