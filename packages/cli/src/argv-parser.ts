import { notStrictEqual, strictEqual } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import type { Argv } from 'yargs';

/*
 * yargs as its own entry point builds it, except that the help renderer (cliui, string-width: Unicode segmentation
 * and emoji tables) is loaded on first use instead of at start-up. Those modules cost more start-up time than the
 * rest of yargs and are only needed when help or an error is shown. The pieces are yargs' own modules, loaded
 * synchronously from its folder (require of ES modules, Node 20.19+), so parsing and messages are unchanged.
 */
const yargsEntry = fileURLToPath(import.meta.resolve('yargs'));
const fromYargs = createRequire(yargsEntry);
const yargsRoot = dirname(yargsEntry);
/** The same start folder yargs' ESM shim gives its package.json lookup. */
const shimFile = join(yargsRoot, 'lib', 'platform-shims', 'esm.mjs');

type Lazy<T> = () => T;
function lazy<T>(load: () => T): Lazy<T> {
  let value: T | undefined;
  return () => {
    value ??= load();
    return value;
  };
}

const cliui = lazy(() => fromYargs('cliui') as (options: unknown) => unknown);
const stringWidth = lazy(() => (fromYargs('string-width') as { default: (text: string) => number }).default);
/** Printable ASCII is as wide as it is long: the common case needs no Unicode tables. */
const plainAscii = /^[\x20-\x7e]*$/;

const getCallerFile = fromYargs('get-caller-file') as (position: number) => string;

const shim = {
  assert: { notStrictEqual, strictEqual },
  cliui: (options: unknown) => cliui()(options),
  findUp: fromYargs('escalade/sync') as unknown,
  getEnv: (key: string) => process.env[key],
  inspect,
  getProcessArgvBin: (fromYargs('./build/lib/utils/process-argv.js') as { getProcessArgvBin: () => string })
    .getProcessArgvBin,
  mainFilename: shimFile.substring(0, shimFile.lastIndexOf('node_modules')) || process.cwd(),
  Parser: fromYargs('yargs-parser') as unknown,
  path: { basename, dirname, extname, relative, resolve, join },
  process: {
    argv: () => process.argv,
    cwd: process.cwd,
    emitWarning: (warning: string, type: string) => process.emitWarning(warning, type),
    execPath: () => process.execPath,
    exit: (code: number) => process.exit(code),
    nextTick: process.nextTick,
    stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null,
  },
  readFileSync,
  readdirSync,
  require: fromYargs,
  getCallerFile: () => {
    const callerFile = getCallerFile(3);
    return /^file:\/\//.test(callerFile) ? fileURLToPath(callerFile) : callerFile;
  },
  stringWidth: (text: string) => (plainAscii.test(text) ? text.length : stringWidth()(text)),
  y18n: (fromYargs('y18n') as (options: unknown) => unknown)({
    directory: resolve(shimFile, '../../../locales'),
    updateFiles: false,
  }),
};

const { YargsFactory } = fromYargs('./build/lib/yargs-factory.js') as {
  YargsFactory: (platform: typeof shim) => () => Argv;
};
const yargs = YargsFactory(shim);

interface UsageInternals {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage: () => void } };
}

/**
 * A fresh yargs instance. yargs renders a command's whole help after running its handler, in case a later failure
 * wants to show it; handlers here only pick the command, and failures are reported without help, so that rendering
 * (the biggest part of parsing a command line) is skipped.
 */
export function argvParser(): Argv {
  const parser = yargs();
  (parser as unknown as UsageInternals).getInternalMethods().getUsageInstance().cacheHelpMessage = () => {};
  return parser;
}
