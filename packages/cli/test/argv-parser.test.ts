import { describe, expect, it } from 'vitest';
import type { Argv } from 'yargs';
import yargs from 'yargs';
import { argvParser } from '../src/argv-parser.js';

/** A command line with what iamgen's use: commands, choices, arrays, demanded flags, examples, wide text. */
function configure(parser: Argv): Argv {
  return parser
    .scriptName('iamgen')
    .usage('$0 <command> [options]\n\nLeast-privilege IAM policies.')
    .strict()
    .demandCommand(1, 'name a command: iamgen <command> --help')
    .recommendCommands()
    .wrap(100)
    .exitProcess(false)
    .help()
    .version('1.2.3')
    .command(
      'from-trail',
      'Generate a policy — from what a rôle did (表 width)',
      (p) =>
        p
          .option('role', { type: 'string', array: true, describe: 'role name, ARN or glob; repeatable' })
          .option('format', { choices: ['json', 'yaml'] as const, default: 'json' as const, describe: 'format' })
          .option('current', { type: 'string', demandOption: 'give --current FILE', describe: 'current policy' })
          .option('since', {
            type: 'string',
            describe: 'only events at or after: 90d, 12h, 2024-06-01 or ISO time; a long text that wraps around',
          })
          .example('$0 from-trail --role 注文 --current p.json', 'policy for a Lambda role'),
      () => {},
    )
    .command('athena <statement>', 'Print Athena SQL', (p) =>
      p.positional('statement', { choices: ['ddl', 'query'] as const, describe: 'what to print' }),
    );
}

async function outcome(parser: Argv, args: readonly string[]) {
  let result: { error?: string; output: string } = { output: '' };
  const argv = await parser.parseAsync([...args], {}, (error: Error | undefined, _: unknown, output: string) => {
    result = { ...(error ? { error: error.message } : {}), output };
  });
  return { ...result, argv: JSON.stringify(argv) };
}

describe('argvParser', () => {
  it.each([
    [['--help']],
    [['from-trail', '--help']],
    [['athena', '--help']],
    [['--version']],
    [[]],
    [['from-trail', '--bogus', '--current', 'p.json']],
    [['from-trail', '--role', 'a', 'b', '--format', 'yaml', '--current', 'p.json']],
    [['from-trail', '--format', 'xml', '--current', 'p.json']],
    [['from-trail']],
    [['from-tral']],
    [['athena', 'dll']],
  ])('parses and renders %j as yargs itself does', async (args) => {
    const ours = await outcome(configure(argvParser()), args);
    const stock = await outcome(configure(yargs()), args);
    expect(ours).toEqual(stock);
    if (args.includes('--help')) expect(ours.output).toContain('Options:');
  });
});
