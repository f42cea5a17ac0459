/**
 * Where rotctl's words go. Results on stdout; progress, prompts, warnings and the -v call log
 * on stderr. Colour and spinners only on a terminal, never with NO_COLOR, --no-color or JSON.
 */
import { ExitCode, RotctlError } from './errors.js';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export interface PromptChoice<T extends string> {
  value: T;
  name: string;
  description?: string;
  disabled?: string | false;
}

export interface Ui {
  readonly style: Style;
  readonly json: boolean;
  /** Prompts can be shown: stdin and stderr are terminals and the output is text. */
  readonly interactive: boolean;
  out(text: string): void;
  note(text: string): void;
  warn(text: string): void;
  verbose: ((line: string) => void) | undefined;
  /** Runs work under a spinner on a terminal; work may update the spinner's text. */
  spin<T>(text: string, work: (update: (text: string) => void) => Promise<T>): Promise<T>;
  select<T extends string>(message: string, choices: PromptChoice<T>[], def?: T): Promise<T>;
  confirm(message: string): Promise<boolean>;
  /** Asks the operator to type `word`; anything else (or nothing) is a no. */
  confirmTyped(message: string, word: string): Promise<boolean>;
}

export interface UiOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
}

const plain: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
  cyan: (s) => s,
};

export async function createUi(opts: UiOptions): Promise<Ui> {
  const onTerminal = Boolean(process.stderr.isTTY) && !opts.json;
  // Results go to stdout: a piped or redirected stdout gets no escape codes, whatever stderr is.
  const colorWanted =
    opts.color && onTerminal && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const style = colorWanted ? await chalkStyle() : plain;
  const interactive = Boolean(process.stdin.isTTY) && onTerminal;
  const spinners = onTerminal && !opts.verbose && !process.env.CI;
  const stderrLine = (s: string): void => void process.stderr.write(`${s}\n`);

  return {
    style,
    json: opts.json,
    interactive,
    out: (s) => {
      if (!opts.json) process.stdout.write(`${s}\n`);
    },
    note: (s) => {
      if (!opts.json) stderrLine(style.dim(s));
    },
    warn: (s) => stderrLine(style.yellow(`warning: ${s}`)),
    verbose: opts.verbose ? (s) => stderrLine(style.dim(`[${clock()}] ${s}`)) : undefined,
    spin: (text, work) => (spinners ? withSpinner(text, work) : work(() => undefined)),
    select: (message, choices, def) => promptSelect(message, choices, def),
    confirm: (message) => promptConfirm(message),
    confirmTyped: (message, word) => promptTyped(message, word),
  };
}

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

async function chalkStyle(): Promise<Style> {
  const { Chalk } = await import('chalk');
  const c = new Chalk({ level: 1 });
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}

async function withSpinner<T>(
  text: string,
  work: (update: (text: string) => void) => Promise<T>,
): Promise<T> {
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr, discardStdin: false }).start();
  try {
    const result = await work((next) => {
      spinner.text = next;
    });
    spinner.stop();
    return result;
  } catch (err) {
    spinner.stop();
    throw err;
  }
}

const promptContext = () => ({ output: process.stderr, clearPromptOnDone: false });

async function promptSelect<T extends string>(
  message: string,
  choices: PromptChoice<T>[],
  def?: T,
): Promise<T> {
  const { select } = await import('@inquirer/prompts');
  return guardPrompt(() =>
    select<T>({ message, choices, ...(def ? { default: def } : {}) }, promptContext()),
  );
}

async function promptConfirm(message: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return guardPrompt(() => confirm({ message, default: false }, promptContext()));
}

async function promptTyped(message: string, word: string): Promise<boolean> {
  const { input } = await import('@inquirer/prompts');
  const answer = await guardPrompt(() => input({ message }, promptContext()));
  return answer.trim() === word;
}

/** Ctrl-C at a prompt ends the run with 130; nothing after it is written. */
async function guardPrompt<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (err) {
    if (err instanceof Error && err.name === 'ExitPromptError') {
      throw new RotctlError(ExitCode.interrupted, 'Interrupted at the prompt.');
    }
    throw err;
  }
}
