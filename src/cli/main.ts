/**
 * The `neevscan` command. Only commander loads up front; each command imports
 * what it needs when it runs, so that `scan --staged` in a pre-commit hook
 * starts fast and never loads the service's dependencies.
 */
import { Command, CommanderError, Option } from 'commander';
import { terminalSafeLines } from '../report/terminal-safe.js';
import { errorStatus } from './error-status.js';
import { SCAN_DEFAULTS, SCAN_FORMATS } from './scan-options.js';
import { VERSION } from '../version.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Each command's action ends by handing its exit status here. */
type Done = (status: number) => void;

export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const done: Done = (code) => {
    status = code;
  };
  const program = new Command('neevscan')
    .description('Finds NeevCloud API keys (and other secrets, by rule) before and after they leak.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(terminalSafeLines(text)) });
  // In this order in --help.
  addScanCommands(program, done);
  addServiceCommands(program, done);
  addAdminCommands(program, done);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    return failureStatus(error);
  }
}

/** The CLI's own commands: scan, install-hook, rules. */
function addScanCommands(program: Command, done: Done): void {
  program
    .command('scan')
    .description("scan files and folders ('-' = stdin; default '.'), staged changes, or git history")
    .argument('[paths...]', "files and folders to scan, or '-' for stdin")
    .option('--staged', 'scan what is staged in the current git repository (for pre-commit)')
    .option('--git [range]', 'scan git history: all commits, or a range such as main..HEAD')
    .addOption(new Option('--format <format>', 'output format').choices(SCAN_FORMATS).default(SCAN_DEFAULTS.format))
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--rules <path>', 'more rule files or folders of them (repeatable)', collect, [])
    .option('--no-color', 'no colour in text output')
    .option('--max-file-size <bytes>', 'skip files larger than this (0: no limit)', SCAN_DEFAULTS.maxFileSize)
    .option('--baseline <file>', 'report only secrets not recorded in this baseline')
    .option('--write-baseline <file>', 'record every secret found in a baseline file, and exit 0')
    .addOption(new Option('--threads <n>', 'worker threads for folder scans (default: one per core)').hideHelp())
    .action(async (paths: string[], options) => {
      const { runScan } = await import('./commands/scan.js');
      done(await runScan(paths, options));
    });

  program
    .command('install-hook')
    .description('install a pre-commit hook that runs `neevscan scan --staged` in the current repository')
    .action(async () => {
      const { runInstallHook } = await import('./commands/install-hook.js');
      done(await runInstallHook(process.cwd()));
    });

  program
    .command('rules')
    .description('check rule files: compile each rule under RE2 and run its examples')
    .argument('[paths...]', 'rule files or folders (the built-in rules are always checked)')
    .action(async (paths: string[]) => {
      const { runRulesCheck } = await import('./commands/rules.js');
      done(runRulesCheck(paths));
    });
}

/** The service: serve, worker, poll. */
function addServiceCommands(program: Command, done: Done): void {
  program
    .command('serve')
    .description('run the HTTP server and the queue workers (configuration from the environment: REDIS_URL, HOST, PORT, …)')
    .action(async () => {
      const { runServe } = await import('./commands/serve.js');
      done(await runServe());
    });

  program
    .command('worker')
    .description('run the queue workers only (more of them, on other machines, sharing REDIS_URL)')
    .action(async () => {
      const { runServe } = await import('./commands/serve.js');
      done(await runServe({ http: false }));
    });

  program
    .command('poll')
    .description(
      "read GitHub's public events feed and queue what it brings for `serve` / `worker` (GITHUB_TOKEN or GITHUB_TOKENS, REDIS_URL)",
    )
    .option('--interval <seconds>', "seconds between polls instead of GitHub's X-Poll-Interval (or POLL_INTERVAL; at least 0.1)")
    .option('--metrics-port <port>', 'serve /metrics, /healthz and /readyz on this port (or POLL_METRICS_PORT; default: not served)')
    .action(async (options) => {
      const { runPoll } = await import('./commands/poll.js');
      done(await runPoll(options));
    });
}

/** Owners and keys: straight to Redis (REDIS_URL), or to a server with --server and --token. */
function addAdminCommands(program: Command, done: Done): void {
  const backend = (command: Command) =>
    command
      .option('--server <url>', 'talk to a neevscan server instead of Redis (or NEEVSCAN_SERVER)')
      .option('--token <token>', 'an admin API token for --server (or NEEVSCAN_TOKEN)');
  const admin = () => import('./commands/admin.js');

  const owners = program.command('owners').description('key owners (accounts) and their notification contacts');
  backend(
    owners
      .command('create')
      .description('create an owner')
      .requiredOption('--name <name>', 'the owner')
      .option('--email <address>', 'notification email')
      .option('--webhook-url <url>', 'notification webhook (https)'),
  ).action(async (options) => {
    done(await (await admin()).ownersCreate(options));
  });
  backend(owners.command('list').description('list owners')).action(async (options) => {
    done(await (await admin()).ownersList(options));
  });

  program
    .command('migrate-store')
    .description('move the key and alert stores in REDIS_URL to the sharded layouts (idempotent; run with the service stopped)')
    .action(async () => {
      done(await (await admin()).migrateStore());
    });

  const keys = program.command('keys').description('NeevCloud API keys: create (shown once), list, revoke, rotate, replace');
  backend(
    keys
      .command('create')
      .description('create a named key and print it, once, alone on stdout')
      .requiredOption('--owner <id>', 'owner id')
      .option('--name <name>', 'a descriptive name, unique per owner (required, except for a canary: its label by default)')
      .option('--canary', 'a canary (honeytoken): refused like an unknown key; any use or sighting raises an alert')
      .option('--label <text>', 'with --canary: where it will be planted'),
  ).action(async (options) => {
    done(await (await admin()).keysCreate(options));
  });
  backend(keys.command('list').description("list an owner's keys (hints, never keys)").requiredOption('--owner <id>', 'owner id')).action(
    async (options) => {
      done(await (await admin()).keysList(options));
    },
  );
  backend(keys.command('revoke').description('revoke a key at once').argument('<id>', 'key id').option('--reason <text>', 'why')).action(
    async (id: string, options) => {
      done(await (await admin()).keysRevoke(id, options));
    },
  );
  backend(
    keys
      .command('rotate')
      .description('issue a new key with the same name; the old one works until the grace period ends')
      .argument('<id>', 'key id')
      .option('--grace <seconds>', 'grace period (default 86400)'),
  ).action(async (id: string, options) => {
    done(await (await admin()).keysRotate(id, options));
  });
  backend(
    keys
      .command('replace')
      .description('issue a new key (same name, owner, rate limit) for a revoked one, printed once')
      .argument('<id>', 'the revoked key id'),
  ).action(async (id: string, options) => {
    done(await (await admin()).keysReplace(id, options));
  });
}

/** The exit status of a command that threw: 0 for help and --version, else 2 (with a line on stderr unless commander wrote one). */
function failureStatus(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and --version are not errors; commander has printed its own line for the rest.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
  }
  return errorStatus(error);
}
