/** Shell completion scripts. Static text: loading it costs nothing and needs no AWS. */
const COMMANDS = ['cancel', 'status', 'scan', 'completion', 'help'];
const COMMON = ['--output', '--profile', '--endpoint-url', '--no-color', '--verbose', '--help'];
const OPTIONS: Record<string, string[]> = {
  cancel: ['--yes', '--rollback', '--promote', '--dry-run', '--from-file', '--region', ...COMMON],
  status: ['--region', ...COMMON],
  scan: ['--region', '--all-regions', '--all', '--concurrency', ...COMMON],
  completion: ['bash', 'zsh'],
};

export function completionScript(shell: string): string | undefined {
  if (shell === 'bash') return bash();
  if (shell === 'zsh') return zsh();
  return undefined;
}

function caseArms(indent: string): string {
  return Object.entries(OPTIONS)
    .map(([cmd, opts]) => `${indent}${cmd}) opts="${opts.join(' ')}" ;;`)
    .join('\n');
}

function bash(): string {
  return `# rotctl completion for bash. Load with: source <(rotctl completion bash)
_rotctl() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${COMMANDS.join(' ')} --version --help" -- "$cur") )
    return
  fi
  case "$prev" in
    --output|-o) COMPREPLY=( $(compgen -W "text json" -- "$cur") ); return ;;
    --from-file) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  case "$cmd" in
${caseArms('    ')}
    *) opts="" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -F _rotctl rotctl
`;
}

function zsh(): string {
  return `#compdef rotctl
# rotctl completion for zsh. Load with: source <(rotctl completion zsh)
_rotctl() {
  local -a opts
  if (( CURRENT == 2 )); then
    compadd -- ${COMMANDS.join(' ')} --version --help
    return
  fi
  case "$words[CURRENT-1]" in
    --output|-o) compadd -- text json; return ;;
    --from-file) _files; return ;;
  esac
  case "$words[2]" in
${caseArms('    ').replace(/opts="([^"]*)"/g, 'opts=($1)')}
    *) opts=() ;;
  esac
  compadd -- $opts
}
if [[ "$(whence -w compdef 2>/dev/null)" == *function* ]]; then
  compdef _rotctl rotctl
fi
`;
}
