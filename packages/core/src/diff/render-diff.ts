import type { PolicyDiff, RemovedGrant } from './diff.js';
import type { Grant } from './grants.js';
import { codeSpan, markdownText } from './markdown.js';

/** Grants grouped by service prefix, in the order met. */
function byService<T extends Grant>(grants: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const grant of grants) {
    const service = grant.action.slice(0, grant.action.indexOf(':'));
    const list = groups.get(service);
    if (list === undefined) groups.set(service, [grant]);
    else list.push(grant);
  }
  return groups;
}

const shown = 10;
/** What a grant leaves out or depends on, after its resource: ` except …`, ` (with conditions)`. */
const qualifiers = (g: Grant, quote: (text: string) => string = (text) => text) =>
  `${g.except === undefined ? '' : ` except ${g.except.map(quote).join(', ')}`}${g.conditional ? ' (with conditions)' : ''}`;
const line = (g: Grant) => `${g.action} on ${g.resource}${qualifiers(g)}`;

/** The lists both renderers spell out, in reading order; titles are sentence fragments. */
function sections(diff: PolicyDiff): { title: string; grants: readonly (Grant | RemovedGrant)[] }[] {
  return [
    { title: 'narrowed to the resources used', grants: diff.narrowed },
    { title: 'removed, not seen in the window', grants: diff.removed.filter((g) => g.reason === 'not-seen-in-window') },
    {
      title: 'removed, use unknown (data-plane actions; the logs held no data events)',
      grants: diff.removed.filter((g) => g.reason === 'unknown-data-plane'),
    },
    { title: 'added', grants: diff.added },
  ].filter((section) => section.grants.length > 0);
}

function summary(diff: PolicyDiff): string {
  return `${diff.removed.length + diff.narrowed.length} of ${diff.current} current grants removed or narrowed (${diff.reductionPercent}%): ${diff.removed.length} removed, ${diff.narrowed.length} narrowed to the resources used, ${diff.kept.length} kept, ${diff.added.length} added`;
}

export function renderDiffText(diff: PolicyDiff): string {
  const out = [`privilege: ${summary(diff)}`];
  for (const { title, grants } of sections(diff)) {
    out.push('', `${title}:`);
    for (const [service, list] of byService(grants)) {
      out.push(`  ${service}: ${list.length}`);
      for (const grant of list.slice(0, shown)) out.push(`    ${line(grant)}`);
      if (list.length > shown) out.push(`    … ${list.length - shown} more`);
    }
  }
  if (diff.deniedByCurrent.length > 0) {
    out.push('', 'denied by the current policy (calls that failed for lack of permission):');
    for (const access of diff.deniedByCurrent) out.push(`  ${access.action} on ${access.resource}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderDiffMarkdown(diff: PolicyDiff, title = 'Least-privilege proposal'): string {
  const out = [`## ${title}`, '', `**${summary(diff)}.**`, ''];
  const unknown = diff.removed.filter((g) => g.reason === 'unknown-data-plane');
  if (unknown.length > 0) {
    out.push(
      `> ⚠️ ${unknown.length} removed grants are data-plane actions and the logs held no data events: their use is **unknown, not unused**. Review them before merging.`,
      '',
    );
  }
  out.push('| service | removed | narrowed | added | kept |', '|---|---:|---:|---:|---:|');
  const services = new Set(
    [diff.removed, diff.narrowed, diff.added, diff.kept].flatMap((grants) => [...byService(grants).keys()]),
  );
  const count = (grants: readonly Grant[], service: string) =>
    grants.filter((g) => g.action.startsWith(`${service}:`)).length;
  for (const service of [...services].sort()) {
    out.push(
      `| ${markdownText(service)} | ${count(diff.removed, service)} | ${count(diff.narrowed, service)} | ${count(diff.added, service)} | ${count(diff.kept, service)} |`,
    );
  }
  for (const { title, grants } of sections(diff)) {
    out.push(
      '',
      `<details><summary>${title.charAt(0).toUpperCase()}${title.slice(1)} (${grants.length})</summary>`,
      '',
    );
    for (const grant of grants.slice(0, 500))
      out.push(`- ${codeSpan(grant.action)} on ${codeSpan(grant.resource)}${qualifiers(grant, codeSpan)}`);
    if (grants.length > 500) out.push(`- … ${grants.length - 500} more`);
    out.push('', '</details>');
  }
  if (diff.deniedByCurrent.length > 0) {
    out.push('', '### Denied by the current policy', '');
    for (const access of diff.deniedByCurrent) out.push(`- ${codeSpan(access.action)} on ${codeSpan(access.resource)}`);
  }
  return `${out.join('\n')}\n`;
}

export function diffAsJson(diff: PolicyDiff): Record<string, unknown> {
  return {
    changed: diff.changed,
    grants: {
      current: diff.current,
      proposed: diff.proposed,
      kept: diff.kept.length,
      narrowed: diff.narrowed.length,
      removed: diff.removed.length,
      added: diff.added.length,
    },
    reductionPercent: diff.reductionPercent,
    removed: diff.removed,
    narrowed: diff.narrowed,
    added: diff.added,
    deniedByCurrent: diff.deniedByCurrent,
  };
}
